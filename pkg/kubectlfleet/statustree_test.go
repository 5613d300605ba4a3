package kubectlfleet

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestRenderStatus(t *testing.T) {
	cases := map[string]struct {
		run      func() *placementv1beta1.ClusterStagedUpdateRun
		requests []*placementv1beta1.ClusterApprovalRequest
		want     string
	}{
		"a new run shows what it asked for and that it has no plan yet": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Status = placementv1beta1.UpdateRunStatus{}
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1 (requested)
Policy snapshot:    -
State:              Pending

No stages yet: the run has not computed its plan.
`,
		},
		"a run that cannot initialize says why": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Spec.ResourceSnapshotIndex = ""
				run.Status = placementv1beta1.UpdateRunStatus{Conditions: []metav1.Condition{
					cond(initialized, isFalse, placementv1beta1.UpdateRunInitializeFailedReason, `ClusterStagedUpdateStrategy "example-strategy" not found`, 2*time.Minute),
				}}
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  latest (not resolved yet)
Policy snapshot:    -
State:              Failed to initialize 2m ago (UpdateRunInitializedFailed)
Message:            ClusterStagedUpdateStrategy "example-strategy" not found

No stages yet: the run has not computed its plan.
`,
		},
		"an initialized run in state Initialize lists its plan with nothing started": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Spec.State = placementv1beta1.StateInitialize
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
Requested state:    Initialize
State:              Initialized 5m ago (UpdateRunInitializedSuccessfully)
Message:            ClusterStagedUpdateRun initialized successfully

STAGE                    STATE         AGE   DETAILS
staging                  Not started
├─ member2               Waiting
└─ after: TimedWait 1m   Not started
canary                   Not started
├─ member3               Waiting
├─ member1               Waiting
└─ after: Approval       Pending             example-run-canary: not requested yet
deletion stage           Not started         no clusters to remove
`,
		},
		"the staging stage waits out its timed wait": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isFalse, placementv1beta1.UpdateRunWaitingReason, `All clusters in stage "staging" are updated; waiting for a timed wait`, 35*time.Second))
				staging := &run.Status.StagesStatus[0]
				staging.StartTime = agoPtr(90 * time.Second)
				staging.Conditions = []metav1.Condition{cond(progressing, isFalse, placementv1beta1.StageUpdatingWaitingReason, "", 35*time.Second)}
				staging.Clusters[0].Conditions = []metav1.Condition{
					cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", 90*time.Second),
					cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSucceededReason, "", 35*time.Second),
				}
				staging.AfterStageTaskStatus[0].Conditions = []metav1.Condition{
					cond(elapsed, isFalse, placementv1beta1.AfterStageTaskWaitingReason, "Waiting 1m0s", 35*time.Second),
				}
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Waiting for 35s (UpdateRunWaiting)
Message:            All clusters in stage "staging" are updated; waiting for a timed wait

STAGE                    STATE         AGE   DETAILS
staging                  Waiting       35s   started 90s ago
├─ member2               Succeeded     35s
└─ after: TimedWait 1m   Waiting       35s   25s left
canary                   Not started
├─ member3               Waiting
├─ member1               Waiting
└─ after: Approval       Pending             example-run-canary: not requested yet
deletion stage           Not started         no clusters to remove
`,
		},
		"the canary stage waits for its approval and says how to give it": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isFalse, placementv1beta1.UpdateRunWaitingReason, `All clusters in stage "canary" are updated; waiting for ClusterApprovalRequest "example-run-canary"`, 10*time.Second))
				finishStaging(run)
				canary := &run.Status.StagesStatus[1]
				canary.StartTime = agoPtr(time.Minute)
				canary.Conditions = []metav1.Condition{cond(progressing, isFalse, placementv1beta1.StageUpdatingWaitingReason, "", 10*time.Second)}
				for i := range canary.Clusters {
					canary.Clusters[i].Conditions = []metav1.Condition{
						cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", time.Minute),
						cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSucceededReason, "", 10*time.Second),
					}
				}
				canary.AfterStageTaskStatus[0].Conditions = []metav1.Condition{
					cond(created, isTrue, placementv1beta1.AfterStageTaskApprovalRequestCreatedReason, "", 10*time.Second),
				}
				return run
			},
			requests: []*placementv1beta1.ClusterApprovalRequest{
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Waiting for 10s (UpdateRunWaiting)
Message:            All clusters in stage "canary" are updated; waiting for ClusterApprovalRequest "example-run-canary"

STAGE                    STATE         AGE   DETAILS
staging                  Succeeded     2m    started 4m ago, ended 2m ago
├─ member2               Succeeded     3m
└─ after: TimedWait 1m   Elapsed       2m
canary                   Waiting       10s   started 60s ago
├─ member3               Succeeded     10s
├─ member1               Succeeded     10s
└─ after: Approval       Waiting       10s   example-run-canary: kubectl fleet approve example-run-canary
deletion stage           Not started         no clusters to remove
`,
		},
		"an approval given but not yet accepted shows who gave it": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isTrue, placementv1beta1.UpdateRunStartedReason, "", 4*time.Minute))
				finishStaging(run)
				canary := &run.Status.StagesStatus[1]
				canary.BeforeStageTaskStatus = []placementv1beta1.StageTaskStatus{{
					Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "example-run-before-canary",
					Conditions: []metav1.Condition{cond(created, isTrue, placementv1beta1.BeforeStageTaskApprovalRequestCreatedReason, "", time.Minute)},
				}}
				return run
			},
			requests: []*placementv1beta1.ClusterApprovalRequest{
				approvalRequest("example-run-before-canary", "example-run", "canary", placementv1beta1.BeforeStageTaskLabelValue,
					cond(approved, isTrue, placementv1beta1.ApprovalRequestApprovedReason, "Approved by alice with kubectl fleet approve", 2*time.Second)),
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Progressing for 4m (UpdateRunStarted)

STAGE                    STATE         AGE   DETAILS
staging                  Succeeded     2m    started 4m ago, ended 2m ago
├─ member2               Succeeded     3m
└─ after: TimedWait 1m   Elapsed       2m
canary                   Not started
├─ before: Approval      Approved      2s    example-run-before-canary: not accepted by the run yet; Approved by alice with kubectl fleet approve
├─ member3               Waiting
├─ member1               Waiting
└─ after: Approval       Pending             example-run-canary: not requested yet
deletion stage           Not started         no clusters to remove
`,
		},
		"a succeeded run shows accepted approvals, a skipped cluster and the clusters it removed": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isTrue, placementv1beta1.UpdateRunStartedReason, "", 4*time.Minute),
					cond(succeeded, isTrue, placementv1beta1.UpdateRunSucceededReason, "", 30*time.Second))
				finishStaging(run)
				canary := &run.Status.StagesStatus[1]
				canary.StartTime, canary.EndTime = agoPtr(2*time.Minute), agoPtr(40*time.Second)
				canary.Conditions = []metav1.Condition{
					cond(progressing, isFalse, placementv1beta1.StageUpdatingWaitingReason, "", 70*time.Second),
					cond(succeeded, isTrue, placementv1beta1.StageUpdatingSucceededReason, "", 40*time.Second),
				}
				canary.Clusters[0].Conditions = []metav1.Condition{
					cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", 2*time.Minute),
					cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSucceededReason, "", 100*time.Second),
				}
				canary.Clusters[1].Conditions = []metav1.Condition{
					cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSkippedReason, `member cluster "member1" left the fleet during the run`, 70*time.Second),
				}
				canary.AfterStageTaskStatus[0].Conditions = []metav1.Condition{
					cond(created, isTrue, placementv1beta1.AfterStageTaskApprovalRequestCreatedReason, "", 70*time.Second),
					cond(taskApproved, isTrue, placementv1beta1.AfterStageTaskApprovalRequestApprovedReason, "", 40*time.Second),
				}
				deletion := run.Status.DeletionStageStatus
				deletion.StartTime, deletion.EndTime = agoPtr(40*time.Second), agoPtr(30*time.Second)
				deletion.Conditions = []metav1.Condition{
					cond(progressing, isTrue, placementv1beta1.StageUpdatingStartedReason, "", 40*time.Second),
					cond(succeeded, isTrue, placementv1beta1.StageUpdatingSucceededReason, "", 30*time.Second),
				}
				deletion.Clusters = []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member4", Conditions: []metav1.Condition{
					cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", 40*time.Second),
					cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSucceededReason, "", 30*time.Second),
				}}}
				return run
			},
			requests: []*placementv1beta1.ClusterApprovalRequest{
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue,
					cond(approved, isTrue, "lgtm", "lgtm", 50*time.Second),
					cond(approvalTaken, isTrue, placementv1beta1.ApprovalRequestApprovalAcceptedReason, "", 40*time.Second)),
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Succeeded 30s ago (UpdateRunSucceeded)

STAGE                    STATE       AGE    DETAILS
staging                  Succeeded   2m     started 4m ago, ended 2m ago
├─ member2               Succeeded   3m
└─ after: TimedWait 1m   Elapsed     2m
canary                   Succeeded   40s    started 2m ago, ended 40s ago
├─ member3               Succeeded   100s
├─ member1               Skipped     70s    member cluster "member1" left the fleet during the run
└─ after: Approval       Accepted    40s    example-run-canary: lgtm
deletion stage           Succeeded   30s    started 40s ago, ended 30s ago
└─ member4               Removed     30s
`,
		},
		"a failed run shows the failing cluster's message": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				msg := `the binding of cluster "member2" was moved by another update run`
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isFalse, placementv1beta1.UpdateRunFailedReason, msg, 20*time.Second),
					cond(succeeded, isFalse, placementv1beta1.UpdateRunFailedReason, msg, 20*time.Second))
				staging := &run.Status.StagesStatus[0]
				staging.StartTime = agoPtr(time.Minute)
				staging.Conditions = []metav1.Condition{
					cond(progressing, isFalse, placementv1beta1.StageUpdatingFailedReason, "", 20*time.Second),
					cond(succeeded, isFalse, placementv1beta1.StageUpdatingFailedReason, msg, 20*time.Second),
				}
				staging.Clusters[0].Conditions = []metav1.Condition{
					cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", time.Minute),
					cond(succeeded, isFalse, placementv1beta1.ClusterUpdatingFailedReason, msg, 20*time.Second),
				}
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Failed 20s ago (UpdateRunFailed)
Message:            the binding of cluster "member2" was moved by another update run

STAGE                    STATE         AGE   DETAILS
staging                  Failed        20s   started 60s ago; the binding of cluster "member2" was moved by another update run
├─ member2               Failed        20s   the binding of cluster "member2" was moved by another update run
└─ after: TimedWait 1m   Not started
canary                   Not started
├─ member3               Waiting
├─ member1               Waiting
└─ after: Approval       Pending             example-run-canary: not requested yet
deletion stage           Not started         no clusters to remove
`,
		},
		"a run stopping while a cluster updates": {
			run: func() *placementv1beta1.ClusterStagedUpdateRun {
				run := tutorialRun()
				run.Spec.State = placementv1beta1.StateStop
				run.Status.Conditions = append(run.Status.Conditions,
					cond(progressing, isUnknown, placementv1beta1.UpdateRunStoppingReason, `The update run is stopping; waiting for 1 updating cluster(s) in stage "staging" to finish`, 5*time.Second))
				staging := &run.Status.StagesStatus[0]
				staging.StartTime = agoPtr(20 * time.Second)
				staging.Conditions = []metav1.Condition{
					cond(progressing, isUnknown, placementv1beta1.StageUpdatingStoppingReason, "Waiting for the updating clusters to finish before the stage stops", 5*time.Second),
				}
				staging.Clusters[0].Conditions = []metav1.Condition{
					cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", 20*time.Second),
				}
				return run
			},
			want: `
Name:               example-run
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
Requested state:    Stop
State:              Stopping for 5s (UpdateRunStopping)
Message:            The update run is stopping; waiting for 1 updating cluster(s) in stage "staging" to finish

STAGE                    STATE         AGE   DETAILS
staging                  Stopping      5s    started 20s ago; Waiting for the updating clusters to finish before the stage stops
├─ member2               Updating      20s
└─ after: TimedWait 1m   Not started
canary                   Not started
├─ member3               Waiting
├─ member1               Waiting
└─ after: Approval       Pending             example-run-canary: not requested yet
deletion stage           Not started         no clusters to remove
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			requests := map[string]*placementv1beta1.ClusterApprovalRequest{}
			for _, r := range tc.requests {
				requests[r.Name] = r
			}
			var out strings.Builder
			if err := renderStatus(&out, tc.run(), requests, now); err != nil {
				t.Fatalf("renderStatus: %v", err)
			}
			if diff := cmp.Diff(strings.TrimPrefix(tc.want, "\n"), out.String()); diff != "" {
				t.Errorf("status (-want,+got):\n%s", diff)
			}
		})
	}
}

// finishStaging marks the tutorial run's staging stage done: member2
// updated 3m ago and the one-minute wait over 2m ago.
func finishStaging(run *placementv1beta1.ClusterStagedUpdateRun) {
	staging := &run.Status.StagesStatus[0]
	staging.StartTime, staging.EndTime = agoPtr(4*time.Minute), agoPtr(2*time.Minute)
	staging.Conditions = []metav1.Condition{
		cond(progressing, isFalse, placementv1beta1.StageUpdatingWaitingReason, "", 3*time.Minute),
		cond(succeeded, isTrue, placementv1beta1.StageUpdatingSucceededReason, "", 2*time.Minute),
	}
	staging.Clusters[0].Conditions = []metav1.Condition{
		cond(started, isTrue, placementv1beta1.ClusterUpdatingStartedReason, "", 4*time.Minute),
		cond(succeeded, isTrue, placementv1beta1.ClusterUpdatingSucceededReason, "", 3*time.Minute),
	}
	staging.AfterStageTaskStatus[0].Conditions = []metav1.Condition{
		cond(elapsed, isTrue, placementv1beta1.AfterStageTaskWaitTimeElapsedReason, "", 2*time.Minute),
	}
}

func TestShortDuration(t *testing.T) {
	cases := map[time.Duration]string{
		time.Minute:                "1m",
		90 * time.Second:           "1m30s",
		time.Hour:                  "1h",
		time.Hour + 30*time.Minute: "1h30m",
		45 * time.Second:           "45s",
	}
	for d, want := range cases {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTimedWaitNeverShowsNegativeTimeLeft(t *testing.T) {
	run := tutorialRun()
	run.Status.StagesStatus[0].AfterStageTaskStatus[0].Conditions = []metav1.Condition{
		cond(elapsed, isFalse, placementv1beta1.AfterStageTaskWaitingReason, "", 3*time.Minute),
	}
	tree := &statusTree{run: run, now: now}
	row := tree.timedWaitRow(&run.Status.StagesStatus[0], &run.Status.StagesStatus[0].AfterStageTaskStatus[0], "after")
	want := treeRow{label: "after: TimedWait 1m", state: "Waiting", age: "3m", details: "0s left"}
	if diff := cmp.Diff(want, row, cmp.AllowUnexported(treeRow{})); diff != "" {
		t.Errorf("timed wait past its time (-want,+got):\n%s", diff)
	}
}
