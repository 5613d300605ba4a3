// Package placement runs the placement controller: for every
// ClusterResourcePlacement it keeps the scheduling policy snapshots (and, in
// later work, the resource snapshots and the placement's status) current.
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
)

// Reconciler reconciles ClusterResourcePlacements.
type Reconciler struct {
	client client.Client
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a placement Reconciler.
func NewReconciler(c client.Client) *Reconciler {
	return &Reconciler{client: c}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterschedulingpolicysnapshots,verbs=get;list;watch;create;update;patch;delete;deletecollection

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
	if _, err := r.ensurePolicySnapshot(ctx, crp); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
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
	controllerutil.RemoveFinalizer(crp, placementv1beta1.PlacementCleanupFinalizer)
	if err := r.client.Update(ctx, crp); err != nil {
		return fmt.Errorf("removing finalizer from ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	return nil
}

// SetupWithManager registers the controller: it reacts to placement spec
// changes and to changes of the snapshots it owns.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("placement").
		For(&placementv1beta1.ClusterResourcePlacement{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&placementv1beta1.ClusterSchedulingPolicySnapshot{}).
		Complete(r)
}
