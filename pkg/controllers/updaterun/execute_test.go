package updaterun

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestResult(t *testing.T) {
	cond := func(t placementv1beta1.ResourceBindingConditionType, status metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
		return metav1.Condition{Type: string(t), Status: status, Reason: reason, Message: "details", ObservedGeneration: gen}
	}
	cases := map[string]struct {
		strategy  placementv1beta1.ApplyStrategyType
		conds     []metav1.Condition
		wantDone  bool
		wantCause string
	}{
		"available at the binding's generation": {
			conds: []metav1.Condition{cond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, "AllWorkAreAvailable", 2)}, wantDone: true,
		},
		"available at an older generation is not done": {
			conds: []metav1.Condition{cond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, "AllWorkAreAvailable", 1)},
		},
		"no report yet": {},
		"still applying": {
			conds: []metav1.Condition{cond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason, 2)},
		},
		"not available yet": {
			conds: []metav1.Condition{cond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAvailableReason, 2)},
		},
		"failed to apply names the cause": {
			conds:     []metav1.Condition{cond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason, 2)},
			wantCause: "NotAllWorkHaveBeenApplied: details",
		},
		"a failure at an older generation is stale": {
			conds: []metav1.Condition{cond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason, 1)},
		},
		"ReportDiff is done when the diff is reported": {
			strategy: placementv1beta1.ApplyStrategyTypeReportDiff,
			conds:    []metav1.Condition{cond(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionTrue, placementv1beta1.BindingAllWorkDiffReportedReason, 2)},
			wantDone: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := &pass{run: &placementv1beta1.ClusterStagedUpdateRun{Status: placementv1beta1.UpdateRunStatus{ApplyStrategy: &placementv1beta1.ApplyStrategy{Type: tc.strategy}}}}
			b := &placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Status: placementv1beta1.ResourceBindingStatus{Conditions: tc.conds}}
			done, cause := p.result(b)
			if done != tc.wantDone || cause != tc.wantCause {
				t.Errorf("result() = %v, %q; want %v, %q", done, cause, tc.wantDone, tc.wantCause)
			}
		})
	}
}

func TestTimedWaitKeepsItsStart(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	ts := &placementv1beta1.StageTaskStatus{Type: placementv1beta1.StageTaskTypeTimedWait}
	p := &pass{run: &placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Generation: 1}}, now: start}
	if p.timedWait(ts, time.Minute) {
		t.Fatal("a one-minute wait passed at once")
	}
	if p.requeueAfter != time.Minute {
		t.Errorf("requeueAfter = %s, want 1m0s", p.requeueAfter)
	}

	// A stop and resume, or a restart, later: the wait still counts from its start.
	p = &pass{run: &placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Generation: 3}}, now: start.Add(40 * time.Second)}
	if p.timedWait(ts, time.Minute) {
		t.Fatal("the wait passed after 40s")
	}
	if p.requeueAfter != 20*time.Second {
		t.Errorf("requeueAfter = %s, want the remaining 20s", p.requeueAfter)
	}
	p.now = start.Add(time.Minute)
	if !p.timedWait(ts, time.Minute) {
		t.Fatal("the wait did not pass after a minute")
	}
	if got := ts.Conditions[0]; got.Reason != placementv1beta1.AfterStageTaskWaitTimeElapsedReason || got.Status != metav1.ConditionTrue {
		t.Errorf("WaitTimeElapsed = %s/%s, want True/%s", got.Status, got.Reason, placementv1beta1.AfterStageTaskWaitTimeElapsedReason)
	}
}

func TestFailureType(t *testing.T) {
	cases := map[string]struct {
		cond metav1.Condition
		want string
	}{
		"running":              {cond: metav1.Condition{Reason: placementv1beta1.UpdateRunStartedReason}, want: "none"},
		"a user's mistake":     {cond: metav1.Condition{Reason: placementv1beta1.UpdateRunInitializeFailedReason, Message: "strategy not found"}, want: "user_error"},
		"preempted by another": {cond: metav1.Condition{Reason: placementv1beta1.UpdateRunFailedReason, Message: "a concurrent updateRun"}, want: "internal_error"},
		"stuck":                {cond: metav1.Condition{Reason: placementv1beta1.UpdateRunStuckReason}, want: "internal_error"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := failureType(&tc.cond); got != tc.want {
				t.Errorf("failureType() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDescribeStuck(t *testing.T) {
	health := func(status metav1.ConditionStatus, reason, msg string) *clusterv1beta1.MemberCluster {
		return &clusterv1beta1.MemberCluster{Status: clusterv1beta1.MemberClusterStatus{Conditions: []metav1.Condition{{
			Type: string(clusterv1beta1.ConditionTypeMemberClusterHealthy), Status: status, Reason: reason, Message: msg,
		}}}}
	}
	cases := map[string]struct {
		member *clusterv1beta1.MemberCluster
		cause  string
		want   string
	}{
		"a healthy cluster without a cause is just named": {
			member: health(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason, "ok"),
			want:   "member1",
		},
		"a binding's cause is given": {
			member: health(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason, "ok"),
			cause:  "NotAllWorkHaveBeenApplied: details",
			want:   "member1 (NotAllWorkHaveBeenApplied: details)",
		},
		"an unhealthy member cluster says why": {
			member: health(metav1.ConditionFalse, clusterv1beta1.MemberClusterUnhealthyReason, "The member agent reports the cluster unhealthy: API server down"),
			want:   "member1 (member cluster member1 is Healthy=False: MemberClusterUnhealthy: The member agent reports the cluster unhealthy: API server down)",
		},
		"both causes are given": {
			member: health(metav1.ConditionUnknown, clusterv1beta1.MemberClusterHealthUnknownReason, "no heartbeat yet"),
			cause:  "NotAllWorkHaveBeenApplied: details",
			want:   "member1 (NotAllWorkHaveBeenApplied: details; member cluster member1 is Healthy=Unknown: MemberClusterHealthUnknown: no heartbeat yet)",
		},
		"a member cluster without a Healthy condition adds nothing": {
			member: &clusterv1beta1.MemberCluster{},
			want:   "member1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fleet{members: map[string]*clusterv1beta1.MemberCluster{"member1": tc.member}}
			if got := describeStuck("member1", tc.cause, f.healthProblem("member1")); got != tc.want {
				t.Errorf("describeStuck() = %q, want %q", got, tc.want)
			}
		})
	}
}
