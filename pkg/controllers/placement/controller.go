// Package placement runs the placement controller: for every
// ClusterResourcePlacement it keeps the scheduling policy snapshots and the
// resource snapshots current, and reports the placement's status from the
// scheduler's decisions and the clusters' bindings.
package placement

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/selection"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
	"github.com/flotilla-dev/flotilla/pkg/util/ownwrites"
)

// bindingStatusDelay is how long a binding change waits before its
// placement's status is recomputed. A rollout changes every binding's status
// several times; collected over this delay, a placement's status is written
// once per burst rather than once per binding write. A placement's status
// lists every cluster, so its writes are the costliest a rollout makes; the
// update run's status, not this one, is where a rollout's progress shows
// first. Writes that only report progress are paced further (status_pace.go).
const bindingStatusDelay = 3 * time.Second

// Reconciler reconciles ClusterResourcePlacements.
type Reconciler struct {
	client   client.Client
	selector *selection.Selector

	// selections remembers, per placement, the selection its latest
	// resource snapshot was taken from, so that the many reconciles a
	// rollout's binding updates cause do not read every selected object
	// from the API server again.
	mu         sync.Mutex
	selections map[string]selectionMemo

	// pacer holds back status writes that only report progress.
	pacer *statusPacer

	// ownWrites are the writes of placements the cache has not shown yet.
	ownWrites *ownwrites.Tracker
}

// selectionMemo is a placement's last selection: taken at its generation,
// after the changes freshness counts, recorded in the snapshot named latest.
type selectionMemo struct {
	generation int64
	freshness  selection.Freshness
	latest     string
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a placement Reconciler that resolves resource
// selectors with selector.
func NewReconciler(c client.Client, selector *selection.Selector) *Reconciler {
	return &Reconciler{
		client: c, selector: selector, selections: map[string]selectionMemo{},
		pacer: newStatusPacer(time.Now), ownWrites: ownwrites.New(),
	}
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
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A placement our cache shows from before our last write of it waits
	// for that write's event rather than deciding again from what it moved
	// past: its status write would fail with a conflict.
	if stale, err := r.ownWrites.Stale(ctx, r.client, crp); err != nil || stale {
		if stale {
			ctrl.LoggerFrom(ctx).V(4).Info("Waiting for the cache to show our last write of the placement", "resourceVersion", crp.ResourceVersion)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted placement takes its snapshots with it.
	if !crp.DeletionTimestamp.IsZero() {
		r.forget(crp.Name)
		return reconcile.Result{}, r.cleanUp(ctx, crp)
	}

	// The finalizers let the snapshots and the bindings go before the
	// placement does: ours, and the scheduler's in the same write. The
	// scheduler would otherwise add its own in a write of its own, racing
	// this one on every new placement; it removes it once the placement's
	// bindings are gone.
	added := controllerutil.AddFinalizer(crp, placementv1beta1.PlacementCleanupFinalizer)
	if controllerutil.AddFinalizer(crp, placementv1beta1.SchedulerCleanupFinalizer) || added {
		replaced := crp.ResourceVersion
		if err := r.client.Update(ctx, crp); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to ClusterResourcePlacement %q: %w", crp.Name, err)
		}
		r.ownWrites.Wrote(crp.Name, replaced)
	}

	// The scheduler works from the latest policy snapshot.
	policySnapshot, err := r.ensurePolicySnapshot(ctx, crp)
	if err != nil {
		return reconcile.Result{}, err
	}

	// Rollouts (RollingUpdate or update runs) work from the latest resource
	// snapshot, whatever the strategy.
	current, err := r.selectionCurrent(ctx, crp)
	if err != nil {
		return reconcile.Result{}, err
	}
	if !current {
		freshness := r.selector.Freshness(crp.Name)
		objs, err := r.selector.Select(ctx, crp)
		if selection.IsInvalid(err) {
			hold, err := r.reportInvalidSelectors(ctx, crp, err)
			return reconcile.Result{RequeueAfter: hold}, err
		}
		if err != nil {
			return reconcile.Result{}, fmt.Errorf("selecting the resources of ClusterResourcePlacement %q: %w", crp.Name, err)
		}
		latest, err := r.ensureResourceSnapshots(ctx, crp, objs)
		if err != nil {
			return reconcile.Result{}, err
		}
		r.remember(crp.Name, selectionMemo{generation: crp.Generation, freshness: freshness, latest: latest.Name})
	}

	// Users read the outcome from the placement's status.
	hold, err := r.updateStatus(ctx, crp, policySnapshot)
	return reconcile.Result{RequeueAfter: hold}, err
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
// changes (and to our own writes a skipped reconcile waits for, see
// pkg/util/ownwrites), to changes of the snapshots it owns and of the
// bindings whose progress it reports, and to changes of the hub objects
// placements select.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := cacheindex.AddPlacement(context.Background(), mgr.GetFieldIndexer(), &placementv1beta1.ClusterResourceBinding{}, &placementv1beta1.ClusterSchedulingPolicySnapshot{}, &placementv1beta1.ClusterResourceSnapshot{}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("placement").
		For(&placementv1beta1.ClusterResourcePlacement{}, builder.WithPredicates(predicate.Or[client.Object](r.ownWrites.ArrivedPredicate(), predicate.GenerationChangedPredicate{}))).
		Owns(&placementv1beta1.ClusterSchedulingPolicySnapshot{}).
		Owns(&placementv1beta1.ClusterResourceSnapshot{}).
		Watches(&placementv1beta1.ClusterResourceBinding{}, handlers.EnqueueParentPlacementAfter(bindingStatusDelay)).
		WatchesRawSource(r.selector.Source()).
		Complete(r)
}

// selectionCurrent reports whether the placement's last selection still
// holds: same generation, no change to what it might select since, and its
// snapshot is still the latest (nobody deleted or relabelled it).
func (r *Reconciler) selectionCurrent(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) (bool, error) {
	r.mu.Lock()
	memo, ok := r.selections[crp.Name]
	r.mu.Unlock()
	if !ok || memo.generation != crp.Generation || !r.selector.Current(crp.Name, memo.freshness) {
		return false, nil
	}
	latest := &placementv1beta1.ClusterResourceSnapshot{}
	if err := r.client.Get(ctx, client.ObjectKey{Name: memo.latest}, latest); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("reading resource snapshot %q: %w", memo.latest, err)
	}
	return latest.DeletionTimestamp.IsZero() && latest.Labels[placementv1beta1.IsLatestSnapshotLabel] == "true", nil
}

func (r *Reconciler) remember(name string, memo selectionMemo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.selections[name] = memo
}

func (r *Reconciler) forget(name string) {
	r.mu.Lock()
	delete(r.selections, name)
	r.mu.Unlock()
	r.selector.Forget(name)
	r.pacer.forget(name)
	r.ownWrites.Forget(name)
}
