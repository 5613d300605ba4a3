// Package scheduler runs the scheduler: for every ClusterResourcePlacement it
// picks member clusters according to the latest scheduling policy snapshot,
// keeps one ClusterResourceBinding per picked cluster, and reports its
// decisions in the snapshot's status.
package scheduler

import (
	"context"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/ownwrites"
)

// Reconciler schedules ClusterResourcePlacements.
type Reconciler struct {
	client client.Client
	// apiReader lists bindings while the cache has not shown our own
	// writes of them (see ownWrites): a binding created in one pass must be
	// seen by the next, or the cluster would get a second binding.
	// SetupWithManager makes it the manager's uncached reader.
	apiReader client.Reader
	// ownWrites are the binding writes the cache has not shown yet.
	ownWrites *ownWrites
	// snapshotWrites are the policy snapshot status writes the cache has
	// not shown yet.
	snapshotWrites *ownwrites.Tracker
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a scheduler Reconciler.
func NewReconciler(c client.Client) *Reconciler {
	return &Reconciler{client: c, apiReader: c, ownWrites: newOwnWrites(), snapshotWrites: ownwrites.New()}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterschedulingpolicysnapshots,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterschedulingpolicysnapshots/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=memberclusters,verbs=get;list;watch

// Reconcile schedules one placement.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.client.Get(ctx, req.NamespacedName, crp); err != nil {
		if apierrors.IsNotFound(err) {
			r.ownWrites.forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted placement gives up its bindings before it goes.
	if !crp.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.releasePlacement(ctx, crp)
	}

	// The scheduler follows the latest policy snapshot; the snapshot watch
	// brings us back once the placement controller has written one.
	snapshot, err := r.latestPolicySnapshot(ctx, crp.Name)
	if err != nil {
		return reconcile.Result{}, err
	}
	if snapshot == nil {
		log.V(2).Info("Waiting for the latest scheduling policy snapshot")
		return reconcile.Result{}, nil
	}

	// The finalizer keeps the placement until its bindings are deleted. The
	// placement controller adds it with its own before it writes the first
	// snapshot, so there is none to add here but on a placement from
	// before it did; no binding is made before there is a snapshot.
	if controllerutil.AddFinalizer(crp, placementv1beta1.SchedulerCleanupFinalizer) {
		if err := r.client.Update(ctx, crp); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to ClusterResourcePlacement %q: %w", crp.Name, err)
		}
	}
	log = log.WithValues("policySnapshot", klog.KObj(snapshot))
	ctx = ctrl.LoggerInto(ctx, log)

	// A snapshot our cache shows from before our last status write of it
	// waits for that write's event: a pass right after the one that wrote
	// it (its own binding creations bring it) would write the same status
	// again, at the stale version, and fail with a conflict.
	if stale, err := r.snapshotWrites.Stale(ctx, r.client, snapshot); err != nil || stale {
		if stale {
			log.V(4).Info("Waiting for the cache to show our last status write of the policy snapshot", "resourceVersion", snapshot.ResourceVersion)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// Decisions start from every member cluster and the placement's bindings.
	// Scheduling only reads the member clusters, so they are not copied out
	// of the cache (at 100 clusters a copy of each per reconcile was most
	// of what the scheduler allocated).
	clusters := &clusterv1beta1.MemberClusterList{}
	if err := r.client.List(ctx, clusters, client.UnsafeDisableDeepCopy); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing member clusters: %w", err)
	}
	bindings, err := r.listBindings(ctx, crp.Name)
	if err != nil {
		return reconcile.Result{}, err
	}
	plan := schedule(scheduleInput{
		policy:           snapshot.Spec.Policy,
		snapshotName:     snapshot.Name,
		numberOfClusters: numberOfClusters(snapshot),
		clusters:         clusters.Items,
		bindings:         bindings,
	})

	// Bindings first: the status must not claim what is not written yet.
	if err := r.applyPlan(ctx, crp.Name, snapshot.Name, &plan); err != nil {
		return reconcile.Result{}, err
	}
	if err := r.writeSnapshotStatus(ctx, snapshot, snapshotStatus(snapshot, &plan, crp.Generation)); err != nil {
		return reconcile.Result{}, err
	}
	log.V(2).Info("Scheduled placement", "fulfilled", plan.fulfilled, "message", plan.message)
	return reconcile.Result{}, nil
}

// latestPolicySnapshot returns the placement's latest scheduling policy
// snapshot, or nil when there is none. Should several claim to be latest, the
// one with the highest index wins.
func (r *Reconciler) latestPolicySnapshot(ctx context.Context, crpName string) (*placementv1beta1.ClusterSchedulingPolicySnapshot, error) {
	list := &placementv1beta1.ClusterSchedulingPolicySnapshotList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crpName),
		client.MatchingLabels{placementv1beta1.IsLatestSnapshotLabel: "true"}); err != nil {
		return nil, fmt.Errorf("listing the latest policy snapshot of %q: %w", crpName, err)
	}
	var latest *placementv1beta1.ClusterSchedulingPolicySnapshot
	latestIndex := -1
	for i := range list.Items {
		s := &list.Items[i]
		index, err := strconv.Atoi(s.Labels[placementv1beta1.PolicyIndexLabel])
		if err != nil {
			index = -1
		}
		if latest == nil || index > latestIndex {
			latest, latestIndex = s, index
		}
	}
	return latest, nil
}

// listBindings returns every binding of the placement: from the cache, or
// from the API server while the cache has not shown our own writes.
func (r *Reconciler) listBindings(ctx context.Context, crpName string) ([]placementv1beta1.ClusterResourceBinding, error) {
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crpName)); err != nil {
		return nil, fmt.Errorf("listing bindings of %q: %w", crpName, err)
	}
	if !r.ownWrites.behind(crpName, list.Items) {
		return list.Items, nil
	}
	ctrl.LoggerFrom(ctx).V(2).Info("The cache has not shown our last binding writes; listing them from the API server")
	list = &placementv1beta1.ClusterResourceBindingList{}
	if err := r.apiReader.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crpName}); err != nil {
		return nil, fmt.Errorf("listing bindings of %q: %w", crpName, err)
	}
	return list.Items, nil
}

// releasePlacement deletes the bindings of a deleted placement, letting go
// of them so that only other controllers' finalizers hold them, and removes
// the placement's finalizer once none is left. The binding watch brings us
// back as they go.
func (r *Reconciler) releasePlacement(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) error {
	if !controllerutil.ContainsFinalizer(crp, placementv1beta1.SchedulerCleanupFinalizer) {
		return nil
	}
	bindings, err := r.listBindings(ctx, crp.Name)
	if err != nil {
		return err
	}
	for i := range bindings {
		if err := r.deleteBinding(ctx, &bindings[i]); err != nil {
			return err
		}
	}
	if len(bindings) > 0 {
		ctrl.LoggerFrom(ctx).V(2).Info("Waiting for the placement's bindings to go", "count", len(bindings))
		return nil
	}
	controllerutil.RemoveFinalizer(crp, placementv1beta1.SchedulerCleanupFinalizer)
	if err := r.client.Update(ctx, crp); err != nil {
		return fmt.Errorf("removing finalizer from ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Released the placement: all its bindings are gone")
	return nil
}
