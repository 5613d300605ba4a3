package membercluster

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

func TestSyncStatus(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	agent := func(heartbeatAgo time.Duration, conds ...metav1.Condition) *clusterv1beta1.InternalMemberCluster {
		return &clusterv1beta1.InternalMemberCluster{Status: clusterv1beta1.InternalMemberClusterStatus{
			AgentStatus: []clusterv1beta1.AgentStatus{{
				Type:                  clusterv1beta1.MemberAgent,
				Conditions:            conds,
				LastReceivedHeartbeat: metav1.NewTime(now.Add(-heartbeatAgo)),
			}},
		}}
	}
	joined := metav1.Condition{Type: string(clusterv1beta1.AgentJoined), Status: metav1.ConditionTrue, Reason: clusterv1beta1.AgentJoinedReason}
	left := metav1.Condition{Type: string(clusterv1beta1.AgentJoined), Status: metav1.ConditionFalse, Reason: clusterv1beta1.AgentLeftReason}
	unhealthy := metav1.Condition{Type: string(clusterv1beta1.AgentHealthy), Status: metav1.ConditionFalse, Reason: clusterv1beta1.AgentUnhealthyReason, Message: "readyz failed"}

	type want struct {
		joined, healthy             metav1.ConditionStatus
		joinedReason, healthyReason string
		recheckIn                   time.Duration
	}
	tests := map[string]struct {
		imc  *clusterv1beta1.InternalMemberCluster
		want want
	}{
		"no InternalMemberCluster yet: joined and health unknown, no timer": {
			want: want{metav1.ConditionUnknown, metav1.ConditionUnknown, clusterv1beta1.MemberClusterJoinStateUnknownReason, clusterv1beta1.MemberClusterHealthUnknownReason, 0},
		},
		"joined agent with a fresh heartbeat: healthy until 3 periods pass": {
			imc:  agent(10*time.Second, joined),
			want: want{metav1.ConditionTrue, metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason, clusterv1beta1.MemberClusterHealthyReason, 50 * time.Second},
		},
		"heartbeat just inside 3 periods is still healthy": {
			imc:  agent(59*time.Second, joined),
			want: want{metav1.ConditionTrue, metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason, clusterv1beta1.MemberClusterHealthyReason, time.Second},
		},
		"agent silent for 3 periods is unhealthy": {
			imc:  agent(60*time.Second, joined),
			want: want{metav1.ConditionTrue, metav1.ConditionFalse, clusterv1beta1.MemberClusterJoinedReason, clusterv1beta1.MemberClusterHeartbeatTimeoutReason, 0},
		},
		"agent reporting an unhealthy cluster": {
			imc:  agent(time.Second, joined, unhealthy),
			want: want{metav1.ConditionTrue, metav1.ConditionFalse, clusterv1beta1.MemberClusterJoinedReason, clusterv1beta1.MemberClusterUnhealthyReason, 59 * time.Second},
		},
		"agent that left": {
			imc:  agent(time.Second, left),
			want: want{metav1.ConditionFalse, metav1.ConditionTrue, clusterv1beta1.MemberClusterLeftReason, clusterv1beta1.MemberClusterHealthyReason, 59 * time.Second},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mc := &clusterv1beta1.MemberCluster{
				ObjectMeta: metav1.ObjectMeta{Name: "member1", Generation: 2},
				Spec:       clusterv1beta1.MemberClusterSpec{HeartbeatPeriodSeconds: 20},
			}
			recheckIn := syncStatus(mc, tc.imc, now)
			j := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined))
			h := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy))
			r := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterReadyToJoin))
			if r == nil || r.Status != metav1.ConditionTrue || r.ObservedGeneration != 2 {
				t.Errorf("ReadyToJoin = %+v, want True at generation 2", r)
			}
			got := want{j.Status, h.Status, j.Reason, h.Reason, recheckIn}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("syncStatus() mismatch (-want,+got):\n%s", diff)
			}
		})
	}
}
