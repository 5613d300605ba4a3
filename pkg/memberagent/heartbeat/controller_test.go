package heartbeat

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

func TestReport(t *testing.T) {
	type agentView struct {
		Joined, Healthy metav1.Condition
		Heartbeat       metav1.Time
	}
	cond := func(t clusterv1beta1.AgentConditionType, s metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: string(t), Status: s, Reason: reason, ObservedGeneration: 3}
	}
	tests := map[string]struct {
		joined    bool
		healthErr error
		want      agentView
	}{
		"joined and healthy": {
			joined: true,
			want: agentView{
				Joined:    cond(clusterv1beta1.AgentJoined, metav1.ConditionTrue, clusterv1beta1.AgentJoinedReason),
				Healthy:   cond(clusterv1beta1.AgentHealthy, metav1.ConditionTrue, clusterv1beta1.AgentHealthyReason),
				Heartbeat: testNow,
			},
		},
		"joined, API server not ready": {
			joined: true, healthErr: errors.New("etcd not ready"),
			want: agentView{
				Joined:    cond(clusterv1beta1.AgentJoined, metav1.ConditionTrue, clusterv1beta1.AgentJoinedReason),
				Healthy:   cond(clusterv1beta1.AgentHealthy, metav1.ConditionFalse, clusterv1beta1.AgentUnhealthyReason),
				Heartbeat: testNow,
			},
		},
		"asked to leave: left": {
			joined: false,
			want: agentView{
				Joined:    cond(clusterv1beta1.AgentJoined, metav1.ConditionFalse, clusterv1beta1.AgentLeftReason),
				Healthy:   cond(clusterv1beta1.AgentHealthy, metav1.ConditionTrue, clusterv1beta1.AgentHealthyReason),
				Heartbeat: testNow,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			imc := &clusterv1beta1.InternalMemberCluster{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			// Another agent's entry must survive.
			imc.SetAgentConditions(clusterv1beta1.MultiClusterServiceAgent, metav1.Condition{Type: string(clusterv1beta1.AgentJoined), Status: metav1.ConditionTrue, Reason: "x"})
			report(imc, tc.joined, tc.healthErr, testNow)
			if len(imc.Status.AgentStatus) != 2 {
				t.Fatalf("agentStatus has %d entries, want the other agent's and the member agent's", len(imc.Status.AgentStatus))
			}
			got := agentView{
				Joined:    *imc.GetAgentCondition(clusterv1beta1.MemberAgent, clusterv1beta1.AgentJoined),
				Healthy:   *imc.GetAgentCondition(clusterv1beta1.MemberAgent, clusterv1beta1.AgentHealthy),
				Heartbeat: imc.Status.AgentStatus[1].LastReceivedHeartbeat,
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime", "Message")); diff != "" {
				t.Errorf("report() (-want,+got):\n%s", diff)
			}
		})
	}
}
