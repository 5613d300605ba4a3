package placement

import (
	"context"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// listSnapshotGroups returns the placement's resource snapshot groups,
// oldest first. A snapshot without a valid index is an error: the placement
// controller wrote it wrong, or someone else did. opts may add
// client.UnsafeDisableDeepCopy for a caller that only reads the snapshots.
func (r *Reconciler) listSnapshotGroups(ctx context.Context, crpName string, opts ...client.ListOption) ([]*resource.SnapshotGroup, error) {
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := r.client.List(ctx, list, append(opts, cacheindex.InPlacement(crpName))...); err != nil {
		return nil, fmt.Errorf("listing resource snapshots of %q: %w", crpName, err)
	}
	snapshots := make([]*placementv1beta1.ClusterResourceSnapshot, len(list.Items))
	for i := range list.Items {
		snapshots[i] = &list.Items[i]
	}
	groups, invalid := resource.GroupSnapshots(snapshots)
	if len(invalid) > 0 {
		s := invalid[0]
		return nil, fmt.Errorf("ClusterResourceSnapshot %q has an invalid %s label %q", s.Name, placementv1beta1.ResourceIndexLabel, s.Labels[placementv1beta1.ResourceIndexLabel])
	}
	return groups, nil
}

// buildResourceSnapshots lays out the snapshot group for selected objects at
// index: a master named <placement>-<index>-snapshot holding the first chunk,
// and <placement>-<index>-<n> for every further chunk.
func buildResourceSnapshots(crp string, index int, objs []*unstructured.Unstructured) ([]*placementv1beta1.ClusterResourceSnapshot, error) {
	stripped := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		stripped[i] = resource.Strip(o)
	}
	resource.Sort(stripped)
	content, err := resource.Encode(stripped)
	if err != nil {
		return nil, err
	}
	hash := resource.Hash(content)
	chunks := resource.Split(content, resource.MaxSnapshotBytes)

	out := make([]*placementv1beta1.ClusterResourceSnapshot, len(chunks))
	for i, chunk := range chunks {
		s := &placementv1beta1.ClusterResourceSnapshot{
			ObjectMeta: metav1.ObjectMeta{
				Labels: map[string]string{
					placementv1beta1.PlacementTrackingLabel: crp,
					placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
					placementv1beta1.IsLatestSnapshotLabel:  "true",
				},
			},
			Spec: placementv1beta1.ResourceSnapshotSpec{SelectedResources: chunk},
		}
		if i == 0 {
			s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)
			s.Annotations = map[string]string{
				placementv1beta1.ResourceGroupHashAnnotation:         hash,
				placementv1beta1.NumberOfResourceSnapshotsAnnotation: strconv.Itoa(len(chunks)),
				placementv1beta1.NumberOfEnvelopedObjectsAnnotation:  "0",
			}
		} else {
			s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameWithSubindexFmt, crp, index, i-1)
			s.Annotations = map[string]string{placementv1beta1.SubindexOfResourceSnapshotAnnotation: strconv.Itoa(i - 1)}
		}
		out[i] = s
	}
	return out, nil
}

// ensureResourceSnapshots makes the placement's latest resource snapshot
// group hold exactly objs: unchanged content keeps the current group, a
// change creates the next index (pruning the oldest groups beyond the
// placement's revisionHistoryLimit). It returns the latest master snapshot.
func (r *Reconciler) ensureResourceSnapshots(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, objs []*unstructured.Unstructured) (*placementv1beta1.ClusterResourceSnapshot, error) {
	groups, err := r.listSnapshotGroups(ctx, crp.Name)
	if err != nil {
		return nil, err
	}

	next := 0
	var newest *resource.SnapshotGroup
	if len(groups) > 0 {
		newest = groups[len(groups)-1]
		next = newest.Index + 1
	}
	wanted, err := buildResourceSnapshots(crp.Name, next, objs)
	if err != nil {
		return nil, err
	}
	hash := wanted[0].Annotations[placementv1beta1.ResourceGroupHashAnnotation]

	if newest != nil && newest.Master != nil && newest.Master.Annotations[placementv1beta1.ResourceGroupHashAnnotation] == hash {
		// Same content: finish a group a crash left incomplete, and make sure it is the latest.
		if !newest.Complete() {
			current, err := buildResourceSnapshots(crp.Name, newest.Index, objs)
			if err != nil {
				return nil, err
			}
			if err := r.createSnapshots(ctx, crp, current); err != nil {
				return nil, err
			}
		}
		if err := r.markLatest(ctx, groups, newest); err != nil {
			return nil, err
		}
		return newest.Master, nil
	}

	// Older groups step down first, so a crash never leaves two latest groups.
	if err := r.markLatest(ctx, groups, nil); err != nil {
		return nil, err
	}
	limit := defaultRevisionHistoryLimit
	if crp.Spec.RevisionHistoryLimit != nil {
		limit = int(*crp.Spec.RevisionHistoryLimit)
	}
	for i := 0; i < len(groups)-(limit-1); i++ {
		for _, s := range groups[i].Snapshots() {
			if err := r.client.Delete(ctx, s); client.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("pruning resource snapshot %q: %w", s.Name, err)
			}
		}
	}
	if err := r.createSnapshots(ctx, crp, wanted); err != nil {
		return nil, err
	}
	ctrl.LoggerFrom(ctx).Info("Created resource snapshot", "snapshot", wanted[0].Name, "parts", len(wanted))
	return wanted[0], nil
}

// createSnapshots creates the snapshots of a group that do not exist yet.
func (r *Reconciler) createSnapshots(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, snapshots []*placementv1beta1.ClusterResourceSnapshot) error {
	for _, s := range snapshots {
		if err := controllerutil.SetControllerReference(crp, s, r.client.Scheme()); err != nil {
			return fmt.Errorf("setting the owner of resource snapshot %q: %w", s.Name, err)
		}
		if err := r.client.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating resource snapshot %q: %w", s.Name, err)
		}
	}
	return nil
}

// markLatest sets is-latest-snapshot to "true" on the snapshots of latest
// (when not nil) and to "false" on every other snapshot.
func (r *Reconciler) markLatest(ctx context.Context, groups []*resource.SnapshotGroup, latest *resource.SnapshotGroup) error {
	for _, g := range groups {
		want := strconv.FormatBool(g == latest)
		for _, s := range g.Snapshots() {
			if s.Labels[placementv1beta1.IsLatestSnapshotLabel] == want {
				continue
			}
			s.Labels[placementv1beta1.IsLatestSnapshotLabel] = want
			if err := r.client.Update(ctx, s); err != nil {
				return fmt.Errorf("setting %s=%s on resource snapshot %q: %w", placementv1beta1.IsLatestSnapshotLabel, want, s.Name, err)
			}
		}
	}
	return nil
}
