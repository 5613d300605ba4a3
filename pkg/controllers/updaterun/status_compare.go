package updaterun

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/condition"
)

// statusChange is what a pass changed in its run's status.
type statusChange int

const (
	// unchanged: nothing to write.
	unchanged statusChange = iota
	// clustersFinished: only clusters that finished updating, each with a
	// new Succeeded condition, True and of reason Succeeded (a skipped
	// cluster is news). Such a write reports progress (see progressPace).
	clustersFinished
	// decided: anything else.
	decided
)

// compareRunStatus tells what changed from a run's status before a pass to
// after it, as equality.Semantic.DeepEqual would tell them apart. Every pass
// compares, and a run's status lists every cluster of its stages: the
// stages are compared without allocating; only the apply strategy and the
// strategy snapshot, small and set once, go to the generic comparison.
func compareRunStatus(before, after *placementv1beta1.UpdateRunStatus) statusChange {
	if before.PolicySnapshotIndexUsed != after.PolicySnapshotIndexUsed ||
		before.PolicyObservedClusterCount != after.PolicyObservedClusterCount ||
		before.ResourceSnapshotIndexUsed != after.ResourceSnapshotIndexUsed ||
		!condition.ListsEqual(before.Conditions, after.Conditions) ||
		len(before.StagesStatus) != len(after.StagesStatus) ||
		(before.DeletionStageStatus == nil) != (after.DeletionStageStatus == nil) ||
		!equality.Semantic.DeepEqual(before.ApplyStrategy, after.ApplyStrategy) ||
		!equality.Semantic.DeepEqual(before.UpdateStrategySnapshot, after.UpdateStrategySnapshot) {
		return decided
	}
	finished := 0
	for i := range after.StagesStatus {
		n, ok := compareStage(&before.StagesStatus[i], &after.StagesStatus[i])
		if !ok {
			return decided
		}
		finished += n
	}
	if after.DeletionStageStatus != nil {
		n, ok := compareStage(before.DeletionStageStatus, after.DeletionStageStatus)
		if !ok {
			return decided
		}
		finished += n
	}
	if finished > 0 {
		return clustersFinished
	}
	return unchanged
}

// compareStage counts a stage's newly finished clusters, and reports
// whether they are all that changed.
func compareStage(before, after *placementv1beta1.StageUpdatingStatus) (int, bool) {
	if before.StageName != after.StageName || !before.StartTime.Equal(after.StartTime) || !before.EndTime.Equal(after.EndTime) ||
		!condition.ListsEqual(before.Conditions, after.Conditions) ||
		!slices.EqualFunc(before.BeforeStageTaskStatus, after.BeforeStageTaskStatus, tasksEqual) ||
		!slices.EqualFunc(before.AfterStageTaskStatus, after.AfterStageTaskStatus, tasksEqual) ||
		len(before.Clusters) != len(after.Clusters) {
		return 0, false
	}
	finished := 0
	for i := range after.Clusters {
		b, a := &before.Clusters[i], &after.Clusters[i]
		if b.ClusterName != a.ClusterName ||
			!slices.Equal(b.ResourceOverrideSnapshots, a.ResourceOverrideSnapshots) ||
			!slices.Equal(b.ClusterResourceOverrideSnapshots, a.ClusterResourceOverrideSnapshots) {
			return 0, false
		}
		switch {
		case condition.ListsEqual(b.Conditions, a.Conditions):
		case newlyFinished(b.Conditions, a.Conditions):
			finished++
		default:
			return 0, false
		}
	}
	return finished, true
}

// newlyFinished reports whether after is before with one condition more: a
// Succeeded condition, True and of reason Succeeded.
func newlyFinished(before, after []metav1.Condition) bool {
	succeeded := string(placementv1beta1.ClusterUpdatingConditionSucceeded)
	k := slices.IndexFunc(after, func(c metav1.Condition) bool { return c.Type == succeeded })
	if k < 0 || len(after) != len(before)+1 || has(before, succeeded) {
		return false
	}
	if c := after[k]; c.Status != metav1.ConditionTrue || c.Reason != placementv1beta1.ClusterUpdatingSucceededReason {
		return false
	}
	return condition.ListsEqual(before[:k], after[:k]) && condition.ListsEqual(before[k:], after[k+1:])
}

// tasksEqual reports whether two stage tasks' statuses say the same.
func tasksEqual(x, y placementv1beta1.StageTaskStatus) bool {
	return x.Type == y.Type && x.ApprovalRequestName == y.ApprovalRequestName && condition.ListsEqual(x.Conditions, y.Conditions)
}
