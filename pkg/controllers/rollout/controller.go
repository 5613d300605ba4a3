// Package rollout runs the rolling update of ClusterResourcePlacements whose
// strategy type is RollingUpdate: it binds the clusters the scheduler picked
// to the placement's latest resource snapshot, moves bound clusters to newer
// snapshots, and deletes the bindings of clusters the scheduler let go, a few
// at a time as maxUnavailable and maxSurge allow. Placements with the External
// strategy are left to update runs.
package rollout

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
)

// Reconciler rolls RollingUpdate placements out to their bindings.
type Reconciler struct {
	client       client.Client
	clock        clock.PassiveClock
	expectations *expectations
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a rollout Reconciler that reads time from clk.
func NewReconciler(c client.Client, clk clock.PassiveClock) *Reconciler {
	return &Reconciler{client: c, clock: clk, expectations: newExpectations()}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcesnapshots,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings/status,verbs=get;update;patch

// Reconcile takes one placement's rolling update one step further.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.client.Get(ctx, req.NamespacedName, crp); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.expectations.forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A placement being deleted releases its bindings through the scheduler;
	// one with the External strategy is rolled out by update runs.
	if !crp.DeletionTimestamp.IsZero() || crp.Spec.Strategy.Type == placementv1beta1.ExternalRolloutStrategyType {
		r.expectations.forget(crp.Name)
		return reconcile.Result{}, nil
	}

	bindings, err := r.listBindings(ctx, crp.Name)
	if err != nil {
		return reconcile.Result{}, err
	}

	// Planning from a cache that has not seen our last writes could exceed
	// the limits; the watch event of those writes brings us back.
	if !r.expectations.satisfied(crp.Name, bindings) {
		log.V(2).Info("Waiting for the cache to show the bindings just written")
		return reconcile.Result{}, nil
	}

	// Without a complete target snapshot there is nothing to roll out yet.
	target, err := r.targetSnapshot(ctx, crp)
	if err != nil {
		return reconcile.Result{}, err
	}
	if target == "" {
		log.V(2).Info("Waiting for a resource snapshot to roll out")
		return reconcile.Result{}, nil
	}

	// Deciding is pure; writing follows the decision.
	p, err := computePlan(crp.Spec.Strategy, target, bindings, r.clock.Now())
	if err != nil {
		// Only input the CRD validation would have refused gets here; it
		// will not heal by retrying.
		return reconcile.Result{}, reconcile.TerminalError(fmt.Errorf("rolling update of ClusterResourcePlacement %q: %w", crp.Name, err))
	}
	if err := r.execute(ctx, crp, target, p); err != nil {
		return reconcile.Result{}, err
	}
	if p.requeueAfter > 0 {
		// A cluster whose resources cannot be tracked becomes available when
		// its unavailable period ends; nothing else would wake us then.
		return reconcile.Result{RequeueAfter: p.requeueAfter}, nil
	}
	return reconcile.Result{}, nil
}

// listBindings returns the placement's bindings.
func (r *Reconciler) listBindings(ctx context.Context, crp string) ([]*placementv1beta1.ClusterResourceBinding, error) {
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp)); err != nil {
		return nil, fmt.Errorf("listing bindings of %q: %w", crp, err)
	}
	out := make([]*placementv1beta1.ClusterResourceBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// SetupWithManager registers the controller. It reacts to placement spec
// changes, to resource snapshots coming, going or becoming the latest, and
// to bindings whose spec (state, snapshot, deletion) or Available condition
// changed.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := cacheindex.AddPlacement(context.Background(), mgr.GetFieldIndexer(), &placementv1beta1.ClusterResourceBinding{}, &placementv1beta1.ClusterResourceSnapshot{}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("rollout").
		For(&placementv1beta1.ClusterResourcePlacement{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&placementv1beta1.ClusterResourceSnapshot{}, handler.EnqueueRequestsFromMapFunc(r.rollingParent), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Watches(&placementv1beta1.ClusterResourceBinding{}, handler.EnqueueRequestsFromMapFunc(r.rollingParent), builder.WithPredicates(bindingChanged)).
		Complete(r)
}

// rollingParent maps a snapshot or binding to its placement unless that
// placement is External: update runs roll those out, and their bindings
// change at every step of a run.
func (r *Reconciler) rollingParent(ctx context.Context, obj client.Object) []reconcile.Request {
	reqs := handlers.ParentPlacement(ctx, obj)
	if len(reqs) == 0 {
		return nil
	}
	// Only the strategy is read, so the placement (whose status lists every
	// cluster) is not copied out of the cache.
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.client.Get(ctx, reqs[0].NamespacedName, crp, client.UnsafeDisableDeepCopy); err == nil &&
		crp.DeletionTimestamp.IsZero() && crp.Spec.Strategy.Type == placementv1beta1.ExternalRolloutStrategyType {
		return nil
	}
	// Unknown or RollingUpdate placements are reconciled; so is a placement
	// being deleted, which lets the controller forget its expectations.
	return reqs
}

// bindingChanged passes binding creations and deletions, and updates that
// change what the rollout decides on: the spec or deletion (both bump the
// generation), the Available condition, or the RolloutStarted condition (a
// pass waiting for the cache to show its own write needs that event). The
// work generator's other conditions do not pass.
var bindingChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldB, okOld := e.ObjectOld.(*placementv1beta1.ClusterResourceBinding)
		newB, okNew := e.ObjectNew.(*placementv1beta1.ClusterResourceBinding)
		if !okOld || !okNew {
			return true
		}
		changed := func(t placementv1beta1.ResourceBindingConditionType) bool {
			return !equality.Semantic.DeepEqual(oldB.GetCondition(string(t)), newB.GetCondition(string(t)))
		}
		return oldB.Generation != newB.Generation ||
			!oldB.DeletionTimestamp.Equal(newB.DeletionTimestamp) ||
			oldB.Labels[placementv1beta1.PlacementTrackingLabel] != newB.Labels[placementv1beta1.PlacementTrackingLabel] ||
			changed(placementv1beta1.ResourceBindingAvailable) ||
			changed(placementv1beta1.ResourceBindingRolloutStarted)
	},
}
