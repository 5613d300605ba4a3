package kubectlfleet

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// now is the fake clock's time in every rendering test.
var now = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// ago is a timestamp d before now.
func ago(d time.Duration) metav1.Time {
	return metav1.NewTime(now.Add(-d))
}

func agoPtr(d time.Duration) *metav1.Time {
	t := ago(d)
	return &t
}

func cond(condType string, status metav1.ConditionStatus, reason, message string, since time.Duration) metav1.Condition {
	return metav1.Condition{Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: 1, LastTransitionTime: ago(since)}
}

// Shorthands for the condition types of runs, stages, clusters and tasks.
const (
	initialized   = string(placementv1beta1.StagedUpdateRunConditionInitialized)
	progressing   = string(placementv1beta1.StagedUpdateRunConditionProgressing)
	succeeded     = string(placementv1beta1.StagedUpdateRunConditionSucceeded)
	started       = string(placementv1beta1.ClusterUpdatingConditionStarted)
	created       = string(placementv1beta1.StageTaskConditionApprovalRequestCreated)
	taskApproved  = string(placementv1beta1.StageTaskConditionApprovalRequestApproved)
	elapsed       = string(placementv1beta1.StageTaskConditionWaitTimeElapsed)
	approved      = string(placementv1beta1.ApprovalRequestConditionApproved)
	approvalTaken = string(placementv1beta1.ApprovalRequestConditionApprovalAccepted)
	isTrue        = metav1.ConditionTrue
	isFalse       = metav1.ConditionFalse
	isUnknown     = metav1.ConditionUnknown
)

// tutorialRun is the tutorial's run, initialized: a staging stage (member2,
// then a one-minute wait), a canary stage (member3 then member1, then an
// approval) and an empty deletion stage; nothing has started.
func tutorialRun() *placementv1beta1.ClusterStagedUpdateRun {
	return &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: "example-run", Generation: 1},
		Spec: placementv1beta1.UpdateRunSpec{
			PlacementName:            "example-placement",
			ResourceSnapshotIndex:    "1",
			StagedUpdateStrategyName: "example-strategy",
		},
		Status: placementv1beta1.UpdateRunStatus{
			PolicySnapshotIndexUsed:   "0",
			ResourceSnapshotIndexUsed: "1",
			UpdateStrategySnapshot: &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
				{Name: "staging", AfterStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}}}},
				{Name: "canary", AfterStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeApproval}}},
			}},
			StagesStatus: []placementv1beta1.StageUpdatingStatus{
				{
					StageName:            "staging",
					Clusters:             []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member2"}},
					AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeTimedWait}},
				},
				{
					StageName:            "canary",
					Clusters:             []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "member3"}, {ClusterName: "member1"}},
					AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "example-run-canary"}},
				},
			},
			DeletionStageStatus: &placementv1beta1.StageUpdatingStatus{StageName: placementv1beta1.UpdateRunDeleteStageName},
			Conditions: []metav1.Condition{
				cond(initialized, isTrue, placementv1beta1.UpdateRunInitializeSucceededReason, "ClusterStagedUpdateRun initialized successfully", 5*time.Minute),
			},
		},
	}
}

// approvalRequest is the request a run creates for an approval task.
func approvalRequest(name, run, stage, taskType string, conds ...metav1.Condition) *placementv1beta1.ClusterApprovalRequest {
	return &placementv1beta1.ClusterApprovalRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name:       name,
			Generation: 1,
			Labels: map[string]string{
				placementv1beta1.TargetUpdateRunLabel:           run,
				placementv1beta1.TargetUpdatingStageNameLabel:   stage,
				placementv1beta1.TaskTypeLabel:                  taskType,
				placementv1beta1.IsLatestUpdateRunApprovalLabel: "true",
			},
		},
		Spec:   placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: run, TargetStage: stage},
		Status: placementv1beta1.ApprovalRequestStatus{Conditions: conds},
	}
}
