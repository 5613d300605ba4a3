package kubectlfleet

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("kubectl fleet status", func() {
	// now is the plugin's clock; the status below is written relative to it,
	// in whole seconds as the API server stores times.
	var now time.Time
	ago := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }
	agoPtr := func(d time.Duration) *metav1.Time { t := ago(d); return &t }
	cond := func(condType string, status metav1.ConditionStatus, reason string, since time.Duration) metav1.Condition {
		return metav1.Condition{Type: condType, Status: status, Reason: reason, ObservedGeneration: 1, LastTransitionTime: ago(since)}
	}
	const (
		started     = string(placementv1beta1.ClusterUpdatingConditionStarted)
		succeeded   = string(placementv1beta1.ClusterUpdatingConditionSucceeded)
		progressing = string(placementv1beta1.StageUpdatingConditionProgressing)
		elapsed     = string(placementv1beta1.StageTaskConditionWaitTimeElapsed)
	)
	waitTask := func(d time.Duration) placementv1beta1.StageTask {
		return placementv1beta1.StageTask{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: d}}
	}

	BeforeEach(func() {
		now = time.Now().UTC().Truncate(time.Second)
	})

	It("prints each stage of a run in order with its clusters, its tasks and the deletion stage", func() {
		run := createRun("status-tree")
		run.Status = placementv1beta1.UpdateRunStatus{
			PolicySnapshotIndexUsed:   "0",
			ResourceSnapshotIndexUsed: "1",
			UpdateStrategySnapshot: &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
				{Name: "staging", AfterStageTasks: []placementv1beta1.StageTask{waitTask(time.Minute)}},
				{Name: "canary"},
				{Name: "prod", AfterStageTasks: []placementv1beta1.StageTask{waitTask(10 * time.Minute)}},
			}},
			StagesStatus: []placementv1beta1.StageUpdatingStatus{
				{
					StageName: "staging", StartTime: agoPtr(6 * time.Minute), EndTime: agoPtr(4 * time.Minute),
					Conditions: []metav1.Condition{
						cond(progressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingWaitingReason, 5*time.Minute),
						cond(succeeded, metav1.ConditionTrue, placementv1beta1.StageUpdatingSucceededReason, 4*time.Minute),
					},
					Clusters: []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member2", Conditions: []metav1.Condition{
						cond(started, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, 6*time.Minute),
						cond(succeeded, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason, 5*time.Minute),
					}}},
					AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeTimedWait, Conditions: []metav1.Condition{
						cond(elapsed, metav1.ConditionTrue, placementv1beta1.AfterStageTaskWaitTimeElapsedReason, 4*time.Minute),
					}}},
				},
				{
					StageName: "canary", StartTime: agoPtr(3 * time.Minute),
					Conditions: []metav1.Condition{cond(progressing, metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason, 3*time.Minute)},
					BeforeStageTaskStatus: []placementv1beta1.StageTaskStatus{{
						Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "status-tree-before-canary",
						Conditions: []metav1.Condition{
							cond(string(placementv1beta1.StageTaskConditionApprovalRequestCreated), metav1.ConditionTrue, placementv1beta1.BeforeStageTaskApprovalRequestCreatedReason, 4*time.Minute),
							cond(string(placementv1beta1.StageTaskConditionApprovalRequestApproved), metav1.ConditionTrue, placementv1beta1.BeforeStageTaskApprovalRequestApprovedReason, 3*time.Minute),
						},
					}},
					Clusters: []placementv1beta1.ClusterUpdatingStatus{
						{ClusterName: "member3", Conditions: []metav1.Condition{
							cond(started, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, 3*time.Minute),
							cond(succeeded, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason, 2*time.Minute),
						}},
						{ClusterName: "member1", Conditions: []metav1.Condition{
							cond(started, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, 2*time.Minute),
						}},
					},
				},
				{
					StageName:            "prod",
					Clusters:             []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member4"}},
					AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeTimedWait}},
				},
			},
			DeletionStageStatus: &placementv1beta1.StageUpdatingStatus{
				StageName: placementv1beta1.UpdateRunDeleteStageName,
				Clusters:  []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member9"}},
			},
			Conditions: []metav1.Condition{
				cond(string(placementv1beta1.StagedUpdateRunConditionInitialized), metav1.ConditionTrue, placementv1beta1.UpdateRunInitializeSucceededReason, 7*time.Minute),
				cond(string(placementv1beta1.StagedUpdateRunConditionProgressing), metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason, 6*time.Minute),
			},
		}
		Expect(k8sClient.Status().Update(ctx, run)).To(Succeed())
		req := createRequest("status-tree-before-canary", "status-tree", "canary", placementv1beta1.BeforeStageTaskLabelValue)
		req.Status.Conditions = []metav1.Condition{
			{Type: "Approved", Status: metav1.ConditionTrue, Reason: "lgtm", Message: "Approved by alice", ObservedGeneration: req.Generation, LastTransitionTime: ago(3 * time.Minute)},
			{Type: "ApprovalAccepted", Status: metav1.ConditionTrue, Reason: placementv1beta1.ApprovalRequestApprovalAcceptedReason, ObservedGeneration: req.Generation, LastTransitionTime: ago(3 * time.Minute)},
		}
		Expect(k8sClient.Status().Update(ctx, req)).To(Succeed())

		r := kubectlFleet(adminKubeconfig, clocktesting.NewFakePassiveClock(now), "status", "status-tree")
		Expect(r.err).NotTo(HaveOccurred())
		Expect(r.out).To(Equal(`Name:               status-tree
Placement:          example-placement
Strategy:           example-strategy
Resource snapshot:  1
Policy snapshot:    0
State:              Progressing for 6m (UpdateRunStarted)

STAGE                     STATE         AGE   DETAILS
staging                   Succeeded     4m    started 6m ago, ended 4m ago
├─ member2                Succeeded     5m
└─ after: TimedWait 1m    Elapsed       4m
canary                    Updating      3m    started 3m ago
├─ before: Approval       Accepted      3m    status-tree-before-canary: Approved by alice
├─ member3                Succeeded     2m
└─ member1                Updating      2m
prod                      Not started
├─ member4                Waiting
└─ after: TimedWait 10m   Not started
deletion stage            Not started
└─ member9                Waiting
`))
	})

	It("counts down a timed wait and says how to approve a waiting approval", func() {
		run := createRun("status-waits")
		run.Status = placementv1beta1.UpdateRunStatus{
			ResourceSnapshotIndexUsed: "1",
			UpdateStrategySnapshot: &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
				{Name: "staging", AfterStageTasks: []placementv1beta1.StageTask{waitTask(time.Minute), {Type: placementv1beta1.StageTaskTypeApproval}}},
			}},
			StagesStatus: []placementv1beta1.StageUpdatingStatus{{
				StageName: "staging", StartTime: agoPtr(time.Minute),
				Conditions: []metav1.Condition{cond(progressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingWaitingReason, 35*time.Second)},
				Clusters: []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member2", Conditions: []metav1.Condition{
					cond(started, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, time.Minute),
					cond(succeeded, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason, 35*time.Second),
				}}},
				AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{
					{Type: placementv1beta1.StageTaskTypeTimedWait, Conditions: []metav1.Condition{
						cond(elapsed, metav1.ConditionFalse, placementv1beta1.AfterStageTaskWaitingReason, 35*time.Second),
					}},
					{Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "status-waits-staging", Conditions: []metav1.Condition{
						cond(string(placementv1beta1.StageTaskConditionApprovalRequestCreated), metav1.ConditionTrue, placementv1beta1.AfterStageTaskApprovalRequestCreatedReason, 35*time.Second),
					}},
				},
			}},
			Conditions: []metav1.Condition{
				cond(string(placementv1beta1.StagedUpdateRunConditionInitialized), metav1.ConditionTrue, placementv1beta1.UpdateRunInitializeSucceededReason, 2*time.Minute),
				cond(string(placementv1beta1.StagedUpdateRunConditionProgressing), metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, 35*time.Second),
			},
		}
		Expect(k8sClient.Status().Update(ctx, run)).To(Succeed())
		createRequest("status-waits-staging", "status-waits", "staging", placementv1beta1.AfterStageTaskLabelValue)

		r := kubectlFleet(adminKubeconfig, clocktesting.NewFakePassiveClock(now), "status", "status-waits")
		Expect(r.err).NotTo(HaveOccurred())
		Expect(r.out).To(ContainSubstring("State:              Waiting for 35s (UpdateRunWaiting)\n"))
		Expect(r.out).To(ContainSubstring("├─ after: TimedWait 1m   Waiting     35s   25s left\n"))
		Expect(r.out).To(ContainSubstring("└─ after: Approval       Waiting     35s   status-waits-staging: kubectl fleet approve status-waits-staging\n"))

		By("ten seconds later")
		r = kubectlFleet(adminKubeconfig, clocktesting.NewFakePassiveClock(now.Add(10*time.Second)), "status", "status-waits")
		Expect(r.out).To(ContainSubstring("├─ after: TimedWait 1m   Waiting     45s   15s left\n"))
	})

	It("fails for a run that does not exist", func() {
		Expect(fleetFails("status", "no-such-run")).To(MatchError(`ClusterStagedUpdateRun "no-such-run" not found`))
	})
})
