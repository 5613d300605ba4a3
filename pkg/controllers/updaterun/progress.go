package updaterun

import (
	"time"

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
