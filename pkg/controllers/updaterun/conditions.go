package updaterun

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Messages the tutorial prints; other conditions of the tutorial's run carry
// an empty message.
const initializedMessage = "ClusterStagedUpdateRun initialized successfully"

// set writes a condition at generation gen; the transition time only moves
// when the status changes.
func set(conds *[]metav1.Condition, condType string, status metav1.ConditionStatus, reason, message string, gen int64) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: gen,
	})
}

func isTrue(conds []metav1.Condition, condType string) bool {
	return meta.IsStatusConditionTrue(conds, condType)
}

func has(conds []metav1.Condition, condType string) bool {
	return meta.FindStatusCondition(conds, condType) != nil
}

// restamp moves every condition of the run to generation gen: a state change
// (the only spec change allowed) must not make the run's progress look stale.
func restamp(status *placementv1beta1.UpdateRunStatus, gen int64) {
	stamp := func(conds []metav1.Condition) {
		for i := range conds {
			conds[i].ObservedGeneration = gen
		}
	}
	stampStage := func(s *placementv1beta1.StageUpdatingStatus) {
		stamp(s.Conditions)
		for i := range s.Clusters {
			stamp(s.Clusters[i].Conditions)
		}
		for i := range s.BeforeStageTaskStatus {
			stamp(s.BeforeStageTaskStatus[i].Conditions)
		}
		for i := range s.AfterStageTaskStatus {
			stamp(s.AfterStageTaskStatus[i].Conditions)
		}
	}
	stamp(status.Conditions)
	for i := range status.StagesStatus {
		stampStage(&status.StagesStatus[i])
	}
	if status.DeletionStageStatus != nil {
		stampStage(status.DeletionStageStatus)
	}
}

// stageFinished reports whether a stage has succeeded (or was skipped).
func stageFinished(s *placementv1beta1.StageUpdatingStatus) bool {
	return isTrue(s.Conditions, string(placementv1beta1.StageUpdatingConditionSucceeded))
}

// clusterFinished reports whether a cluster has succeeded (or was skipped).
func clusterFinished(c *placementv1beta1.ClusterUpdatingStatus) bool {
	return isTrue(c.Conditions, string(placementv1beta1.ClusterUpdatingConditionSucceeded))
}

// clusterStarted reports whether a cluster's binding was moved by the run.
func clusterStarted(c *placementv1beta1.ClusterUpdatingStatus) bool {
	return isTrue(c.Conditions, string(placementv1beta1.ClusterUpdatingConditionStarted))
}
