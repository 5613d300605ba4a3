// Package placement runs the placement controller: for every
// ClusterResourcePlacement it keeps the scheduling policy snapshots and the
// resource snapshots current, and reports the placement's status from the
// scheduler's decisions and the clusters' bindings.
package placement

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/selection"
	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
)

// Reconciler reconciles ClusterResourcePlacements.
type Reconciler struct {
	client   client.Client
	selector *selection.Selector
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a placement Reconciler that resolves resource
// selectors with selector.
func NewReconciler(c client.Client, selector *selection.Selector) *Reconciler {
	return &Reconciler{client: c, selector: selector}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterschedulingpolicysnapshots,verbs=get;list;watch;create;update;patch;delete;deletecollection
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcesnapshots,verbs=get;list;watch;create;update;patch;delete;deletecollection
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings,verbs=get;list;watch
// Selecting resources means reading any kind the hub serves, through
// discovery, lists, gets and watches; the hub agent never writes them.
// +kubebuilder:rbac:groups=*,resources=*,verbs=get;list;watch

// Reconcile brings one placement's snapshots up to date.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.client.Get(ctx, req.NamespacedName, crp); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted placement takes its snapshots with it.
	if !crp.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.cleanUp(ctx, crp)
	}

	// The finalizer lets the snapshots go before the placement does.
	if controllerutil.AddFinalizer(crp, placementv1beta1.PlacementCleanupFinalizer) {
		if err := r.client.Update(ctx, crp); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to ClusterResourcePlacement %q: %w", crp.Name, err)
		}
	}

	// The scheduler works from the latest policy snapshot.
	policySnapshot, err := r.ensurePolicySnapshot(ctx, crp)
	if err != nil {
		return reconcile.Result{}, err
	}

	// Rollouts (RollingUpdate or update runs) work from the latest resource
	// snapshot, whatever the strategy.
	objs, err := r.selector.Select(ctx, crp)
	if selection.IsInvalid(err) {
		return reconcile.Result{}, r.reportInvalidSelectors(ctx, crp, err)
	}
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("selecting the resources of ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	if _, err := r.ensureResourceSnapshots(ctx, crp, objs); err != nil {
		return reconcile.Result{}, err
	}

	// Users read the outcome from the placement's status.
	return reconcile.Result{}, r.updateStatus(ctx, crp, policySnapshot)
}

// cleanUp deletes the placement's snapshots and releases the placement.
func (r *Reconciler) cleanUp(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) error {
	if !controllerutil.ContainsFinalizer(crp, placementv1beta1.PlacementCleanupFinalizer) {
		return nil
	}
	if err := r.client.DeleteAllOf(ctx, &placementv1beta1.ClusterSchedulingPolicySnapshot{},
		client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp.Name}); err != nil {
		return fmt.Errorf("deleting policy snapshots of %q: %w", crp.Name, err)
	}
	if err := r.client.DeleteAllOf(ctx, &placementv1beta1.ClusterResourceSnapshot{},
		client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp.Name}); err != nil {
		return fmt.Errorf("deleting resource snapshots of %q: %w", crp.Name, err)
	}
	controllerutil.RemoveFinalizer(crp, placementv1beta1.PlacementCleanupFinalizer)
	if err := r.client.Update(ctx, crp); err != nil {
		return fmt.Errorf("removing finalizer from ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	return nil
}

// SetupWithManager registers the controller: it reacts to placement spec
// changes, to changes of the snapshots it owns and of the bindings whose
// progress it reports, and to changes of the hub objects placements select.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("placement").
		For(&placementv1beta1.ClusterResourcePlacement{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&placementv1beta1.ClusterSchedulingPolicySnapshot{}).
		Owns(&placementv1beta1.ClusterResourceSnapshot{}).
		Watches(&placementv1beta1.ClusterResourceBinding{}, handlers.EnqueueParentPlacement).
		WatchesRawSource(r.selector.Source()).
		Complete(r)
}
