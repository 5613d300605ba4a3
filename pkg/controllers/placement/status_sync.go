package placement

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

// updateStatus recomputes the placement's status from its latest policy
// snapshot, its resource snapshots and its bindings, and writes it when it
// changed. A positive duration is how long a progress-only write was held
// back; the placement is due again then.
//
// The snapshots and bindings are read from the cache without copies: a
// placement's bindings change one after the other during a rollout, and
// each change recomputes the status from all of them. computeStatus only
// reads them and copies what the status keeps (see perClusterStatus).
func (r *Reconciler) updateStatus(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, policySnapshot *placementv1beta1.ClusterSchedulingPolicySnapshot) (time.Duration, error) {
	in := statusInputs{
		policySnapshot: policySnapshot,
		latestIndex:    -1,
		indexOf:        map[string]string{},
		resourcesOf:    map[string][]placementv1beta1.ResourceIdentifier{},
	}

	groups, err := r.listSnapshotGroups(ctx, crp.Name, client.UnsafeDisableDeepCopy)
	if err != nil {
		return 0, err
	}
	for _, g := range groups {
		if !g.Complete() {
			continue
		}
		index := strconv.Itoa(g.Index)
		in.indexOf[g.Master.Name] = index
		if g.Master.Labels[placementv1beta1.IsLatestSnapshotLabel] == "true" {
			in.latestIndex = g.Index
		}
		ids, err := resourceIdentifiers(g)
		if err != nil {
			return 0, err
		}
		in.resourcesOf[index] = ids
	}

	bindings := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, bindings, cacheindex.InPlacement(crp.Name), client.UnsafeDisableDeepCopy); err != nil {
		return 0, fmt.Errorf("listing bindings of %q: %w", crp.Name, err)
	}
	for i := range bindings.Items {
		in.bindings = append(in.bindings, &bindings.Items[i])
	}

	return r.writeStatus(ctx, crp, computeStatus(crp, in))
}

// reportInvalidSelectors tells the user why the placement's selectors cannot
// be resolved. Nothing is retried: a change of the placement or of the hub's
// kinds brings the placement back.
func (r *Reconciler) reportInvalidSelectors(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, cause error) (time.Duration, error) {
	status := *crp.Status.DeepCopy()
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type:               string(placementv1beta1.ClusterResourcePlacementScheduled),
		Status:             metav1.ConditionFalse,
		Reason:             placementv1beta1.PlacementInvalidResourceSelectorsReason,
		Message:            cause.Error(),
		ObservedGeneration: crp.Generation,
	})
	return r.writeStatus(ctx, crp, status)
}

// writeStatus writes status as the placement's status when it differs,
// unless the pacer holds the write back (then it returns how long). It
// is a whole-status update at the cached resource version rather than a
// merge patch: a placement's status lists every cluster, a merge patch
// replaces that list whole anyway, and applying a patch costs the API
// server a JSON round trip of the stored object on top of the update. Only
// this controller writes a placement's status, and a reconcile waits until
// the cache shows its last write (see Reconcile), so a conflict comes only
// from another writer of the placement, such as a user changing its spec
// (this controller adds the scheduler's finalizer with its own); the retry
// reads the placement again.
func (r *Reconciler) writeStatus(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, status placementv1beta1.PlacementStatus) (time.Duration, error) {
	if statusEqual(&crp.Status, &status) {
		return 0, nil
	}
	if hold := r.pacer.hold(crp.Name, &crp.Status, &status); hold > 0 {
		ctrl.LoggerFrom(ctx).V(4).Info("Holding back a progress-only status write", "for", hold)
		return hold, nil
	}
	crp.Status = status
	replaced := crp.ResourceVersion
	if err := r.client.Status().Update(ctx, crp); err != nil {
		return 0, fmt.Errorf("updating the status of ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	r.ownWrites.Wrote(crp.Name, replaced)
	r.pacer.wrote(crp.Name)
	return 0, nil
}
