package rollout

import (
	"context"
	"fmt"
	"strconv"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

// targetSnapshot returns the name of the master resource snapshot the
// placement rolls out: the latest group's, or the group's at
// spec.strategy.resourceSnapshotIndex when the placement pins one. It returns
// "" while there is no such group or the group is not complete yet; the
// snapshot watch brings the placement back when that changes.
func (r *Reconciler) targetSnapshot(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) (string, error) {
	selector := client.MatchingLabels{}
	if pinned := crp.Spec.Strategy.ResourceSnapshotIndex; pinned != nil {
		if i, err := strconv.Atoi(*pinned); err != nil || i < 0 {
			ctrl.LoggerFrom(ctx).Info("Not rolling out: the pinned resource snapshot index is not a number", "resourceSnapshotIndex", *pinned)
			return "", nil
		}
		selector[placementv1beta1.ResourceIndexLabel] = *pinned
	} else {
		selector[placementv1beta1.IsLatestSnapshotLabel] = "true"
	}
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp.Name), selector); err != nil {
		return "", fmt.Errorf("listing resource snapshots of %q: %w", crp.Name, err)
	}
	return completeMaster(list.Items), nil
}

// completeMaster returns the name of the master snapshot of the group with
// the highest resource index among snapshots, or "" when that group is not
// complete: the master (the snapshot without a sub-index) is missing, or
// fewer snapshots exist than its number-of-resource-snapshots annotation says
// (the placement controller creates the master first). A master without that
// annotation stands alone.
func completeMaster(snapshots []placementv1beta1.ClusterResourceSnapshot) string {
	newest, count := -1, 0
	var master *placementv1beta1.ClusterResourceSnapshot
	for i := range snapshots {
		s := &snapshots[i]
		index, err := strconv.Atoi(s.Labels[placementv1beta1.ResourceIndexLabel])
		if err != nil || index < newest {
			continue
		}
		if index > newest {
			newest, count, master = index, 0, nil
		}
		count++
		if _, sub := s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation]; !sub {
			master = s
		}
	}
	if master == nil {
		return ""
	}
	want := 1
	if v, ok := master.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return ""
		}
		want = n
	}
	if count < want {
		return ""
	}
	return master.Name
}
