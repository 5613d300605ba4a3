package updaterun

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// A status write whose only news is clusters that finished updating, while
// others of their stage are still in flight, reports progress: nothing was
// decided, no stage or run changed state, and the next write carries it.
// Such a write waits until progressPacePerCluster for each cluster of the
// run (up to maxProgressPace) has passed since the run's last status write;
// a run's status lists every cluster, so its writes cost more the larger it
// is. Any decision (a cluster started, a stage done, a failure, anything
// that emits an event) is written at once with the progress held back.
const (
	progressPacePerCluster = 250 * time.Millisecond
	maxProgressPace        = 15 * time.Second
)

// progressPace is the least time from a run's last status write to one
// that only reports progress, for a run of the given number of clusters.
func progressPace(clusters int) time.Duration {
	return min(time.Duration(clusters)*progressPacePerCluster, maxProgressPace)
}

// runClusters counts the clusters of a run's stages.
func runClusters(status *placementv1beta1.UpdateRunStatus) int {
	n := 0
	for i := range status.StagesStatus {
		n += len(status.StagesStatus[i].Clusters)
	}
	if status.DeletionStageStatus != nil {
		n += len(status.DeletionStageStatus.Clusters)
	}
	return n
}

// onlyClustersFinished reports whether the only difference between a run's
// status before and after a pass is clusters whose Succeeded condition is
// new, True and of reason Succeeded (a skipped cluster is news).
func onlyClustersFinished(before, after *placementv1beta1.UpdateRunStatus) bool {
	if len(before.StagesStatus) != len(after.StagesStatus) || (before.DeletionStageStatus == nil) != (after.DeletionStageStatus == nil) {
		return false
	}
	trimmed := after.DeepCopy()
	finished := 0
	for i := range trimmed.StagesStatus {
		finished += dropNewlyFinished(&trimmed.StagesStatus[i], &before.StagesStatus[i])
	}
	if trimmed.DeletionStageStatus != nil {
		finished += dropNewlyFinished(trimmed.DeletionStageStatus, before.DeletionStageStatus)
	}
	return finished > 0 && equality.Semantic.DeepEqual(before, trimmed)
}

// dropNewlyFinished removes from after the Succeeded conditions of the
// clusters that finished since before, and counts them.
func dropNewlyFinished(after, before *placementv1beta1.StageUpdatingStatus) int {
	if len(after.Clusters) != len(before.Clusters) {
		return 0
	}
	succeeded := string(placementv1beta1.ClusterUpdatingConditionSucceeded)
	n := 0
	for i := range after.Clusters {
		c := meta.FindStatusCondition(after.Clusters[i].Conditions, succeeded)
		if c == nil || c.Reason != placementv1beta1.ClusterUpdatingSucceededReason || !clusterFinished(&after.Clusters[i]) ||
			has(before.Clusters[i].Conditions, succeeded) {
			continue
		}
		meta.RemoveStatusCondition(&after.Clusters[i].Conditions, succeeded)
		n++
	}
	return n
}
