// Package applier is the member agent's work applier: it applies the
// manifests of the Works in its cluster's hub namespace (fleet-member-<name>)
// to the member cluster and reports, on each Work, how every manifest went.
//
// For each Work it keeps a cluster-scoped AppliedWork of the same name on the
// member cluster. Every applied object carries a (non-controller) owner
// reference to that AppliedWork, and the AppliedWork's status lists them, so
// that removing a manifest from the Work, or deleting the Work, removes
// exactly the objects Fleet applied: an object is deleted only when the
// AppliedWork is its only owner; otherwise only Fleet's owner reference goes.
// A failure never deletes anything.
//
// Permissions. On the hub, in its namespace only: get/list/watch/update/patch
// works, update/patch works/status (status and the work-cleanup finalizer),
// get/list/watch internalmemberclusters. On the member cluster the agent
// applies arbitrary manifests, so it needs to get, list, watch, create,
// patch, update and delete every kind a placement may carry (in practice
// cluster-admin), plus get/list/watch/create/update/delete on appliedworks
// and update on appliedworks/status. These are not kubebuilder markers: they
// would leak into the hub agent's generated role.
package applier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Reconciler applies one Work to the member cluster.
type Reconciler struct {
	hubClient    client.Client
	hubCache     cache.Cache
	memberClient client.Client
	member       dynamic.Interface
	mapper       meta.RESTMapper
	tracker      *Tracker
	clock        clock.PassiveClock

	// memberName is the cluster's name; its Works are in namespace.
	memberName string
	namespace  string
	workers    int
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// Config is what a Reconciler works with.
type Config struct {
	// HubClient reads and writes Works and reads the InternalMemberCluster in
	// the member's hub namespace; HubCache is the cache behind it.
	HubClient client.Client
	HubCache  cache.Cache
	// MemberClient reads and writes AppliedWorks on the member cluster.
	MemberClient client.Client
	// Member applies manifests; Mapper maps their kinds to resources.
	Member dynamic.Interface
	Mapper meta.RESTMapper
	// Tracker watches the applied objects.
	Tracker *Tracker
	Clock   clock.PassiveClock
	// MemberName is the member cluster's name.
	MemberName string
	// Workers is how many Works are applied at once.
	Workers int
}

// NewReconciler returns a work applier for the member cluster of cfg.
func NewReconciler(cfg Config) *Reconciler {
	return &Reconciler{
		hubClient:    cfg.HubClient,
		hubCache:     cfg.HubCache,
		memberClient: cfg.MemberClient,
		member:       cfg.Member,
		mapper:       cfg.Mapper,
		tracker:      cfg.Tracker,
		clock:        cfg.Clock,
		memberName:   cfg.MemberName,
		namespace:    fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, cfg.MemberName),
		workers:      max(cfg.Workers, 1),
	}
}

// Reconcile applies a Work, or cleans up after it when it is deleted.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	work := &placementv1beta1.Work{}
	if err := r.hubClient.Get(ctx, req.NamespacedName, work); err != nil {
		if apierrors.IsNotFound(err) {
			r.tracker.Forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted Work takes what it applied with it, even while the cluster leaves.
	if !work.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.cleanup(ctx, work)
	}

	// A cluster that leaves (or has not joined) applies nothing new.
	joined, err := r.joined(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	if !joined {
		log.V(1).Info("The member cluster is not joined; not applying the Work")
		return reconcile.Result{}, nil
	}

	// The finalizer gives the agent the chance to remove what it applied.
	if !controllerutil.ContainsFinalizer(work, placementv1beta1.WorkFinalizer) {
		patch := client.MergeFromWithOptions(work.DeepCopy(), client.MergeFromWithOptimisticLock{})
		controllerutil.AddFinalizer(work, placementv1beta1.WorkFinalizer)
		if err := r.hubClient.Patch(ctx, work, patch); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding the finalizer to Work %s: %w", req.NamespacedName, err)
		}
	}

	// The AppliedWork owns everything applied for the Work.
	aw, err := r.ensureAppliedWork(ctx, work)
	if err != nil {
		return reconcile.Result{}, err
	}

	manifests := decodeManifests(work, r.mapper)
	r.track(work.Name, manifests)
	strategy := strategyOf(work)
	results := r.processAll(ctx, manifests, aw, strategy)

	// Objects whose manifest left the Work go, unless some manifest could
	// not be decoded (it might be one of them).
	applied := appliedResources(manifests, results, aw)
	var releaseErr error
	if canRemoveStale(manifests) {
		var left []placementv1beta1.AppliedResourceMeta
		left, releaseErr = r.releaseAll(ctx, staleResources(aw.Status.AppliedResources, manifests), aw)
		applied = append(applied, left...)
	} else {
		applied = append(applied, staleResources(aw.Status.AppliedResources, manifests)...)
	}
	if err := r.updateAppliedResources(ctx, aw, applied); err != nil {
		return reconcile.Result{}, err
	}

	if err := r.updateStatus(ctx, work, manifests, results, strategy); err != nil {
		return reconcile.Result{}, err
	}

	// Failures that may heal by themselves are retried with backoff; the
	// others wait for a change to the Work or to the objects.
	if err := errors.Join(releaseErr, transientFailures(manifests, results)); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
}

// joined reports whether the hub wants the member cluster in the fleet.
func (r *Reconciler) joined(ctx context.Context) (bool, error) {
	imc := &clusterv1beta1.InternalMemberCluster{}
	err := r.hubClient.Get(ctx, types.NamespacedName{Namespace: r.namespace, Name: r.memberName}, imc)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("getting InternalMemberCluster %s/%s: %w", r.namespace, r.memberName, err)
	}
	return imc.Spec.State == clusterv1beta1.ClusterStateJoin, nil
}

// namespacesGVR serves the namespaces namespaced manifests go to.
var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// track makes changes to the Work's objects on the member reach the Work,
// and so does the creation or deletion of the namespaces they go to (a
// manifest fails while its namespace is missing). Refused objects are not
// watched: nothing on the member changes their outcome.
func (r *Reconciler) track(work string, manifests []*manifest) {
	objects := map[objectKey]schema.GroupVersionResource{}
	for _, m := range manifests {
		if m.obj == nil || m.gvr.Empty() || m.refused() {
			continue
		}
		objects[keyOf(m.gvr.GroupResource(), m.id.Namespace, m.id.Name)] = m.gvr
		if m.id.Namespace != "" {
			objects[keyOf(namespacesGVR.GroupResource(), "", m.id.Namespace)] = namespacesGVR
		}
	}
	r.tracker.Track(work, objects)
}

// processAll processes the manifests in apply order (namespaces and CRDs
// first) and returns the results in manifest order.
func (r *Reconciler) processAll(ctx context.Context, manifests []*manifest, aw *placementv1beta1.AppliedWork, s placementv1beta1.ApplyStrategy) []*result {
	results := make([]*result, len(manifests))
	for _, m := range inApplyOrder(manifests) {
		results[m.id.Ordinal] = r.process(ctx, m, aw, s)
	}
	return results
}

// updateStatus writes the Work's status when it changed.
func (r *Reconciler) updateStatus(ctx context.Context, work *placementv1beta1.Work, manifests []*manifest, results []*result, s placementv1beta1.ApplyStrategy) error {
	now := metav1.NewTime(r.clock.Now().Truncate(time.Second))
	status := workStatus(work, manifests, results, s.Type == placementv1beta1.ApplyStrategyTypeReportDiff, now)
	if equality.Semantic.DeepEqual(work.Status, status) {
		return nil
	}
	work.Status = status
	if err := r.hubClient.Status().Update(ctx, work); err != nil {
		return fmt.Errorf("updating the status of Work %s/%s: %w", work.Namespace, work.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Updated Work status")
	return nil
}

// transientFailures returns an error naming the manifests whose failure a
// retry may cure, or nil.
func transientFailures(manifests []*manifest, results []*result) error {
	var names []string
	for i, res := range results {
		if res.transient {
			names = append(names, describeManifest(manifests[i]))
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("retrying %d manifest(s) that failed: %v", len(names), names)
}

// cleanup removes what the Work applied, then its AppliedWork, then the
// Work's finalizer. Objects go explicitly rather than by the member's garbage
// collector, so that the Work disappears only once they are gone and objects
// other owners share are kept.
func (r *Reconciler) cleanup(ctx context.Context, work *placementv1beta1.Work) error {
	if !controllerutil.ContainsFinalizer(work, placementv1beta1.WorkFinalizer) {
		r.tracker.Forget(work.Name)
		return nil
	}
	aw := &placementv1beta1.AppliedWork{}
	err := r.memberClient.Get(ctx, types.NamespacedName{Name: work.Name}, aw)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("getting AppliedWork %q: %w", work.Name, err)
	default:
		resources := append(slices.Clone(aw.Status.AppliedResources), r.ownedByWork(ctx, decodeManifests(work, r.mapper), aw)...)
		if left, err := r.releaseAll(ctx, resources, aw); err != nil {
			if uerr := r.updateAppliedResources(ctx, aw, left); uerr != nil {
				return errors.Join(err, uerr)
			}
			return err
		}
		if err := r.memberClient.Delete(ctx, aw); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting AppliedWork %q: %w", aw.Name, err)
		}
	}
	patch := client.MergeFromWithOptions(work.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(work, placementv1beta1.WorkFinalizer)
	if err := r.hubClient.Patch(ctx, work, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the finalizer from Work %s/%s: %w", work.Namespace, work.Name, err)
	}
	r.tracker.Forget(work.Name)
	ctrl.LoggerFrom(ctx).Info("Removed what the deleted Work applied")
	return nil
}

// maxRetryDelay caps the back-off of a Work that fails to apply. The
// default (16 minutes) would leave a member whose API server was down for a
// few minutes idle long after it is back: nothing on the hub changes to wake
// the Work.
const maxRetryDelay = 10 * time.Second

// retryLimiter is controller-runtime's default rate limiter with the
// per-Work back-off capped at maxRetryDelay.
func retryLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, maxRetryDelay),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// SetupWithManager registers the work applier with the member cluster's
// manager. It watches the Works of the member's hub namespace (spec,
// finalizer and deletion changes, not the status it writes itself), the
// InternalMemberCluster (joining and leaving), AppliedWork deletions, and,
// through the Tracker, the applied objects.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("work-applier").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.workers, RateLimiter: retryLimiter()}).
		WatchesRawSource(source.Kind(r.hubCache, &placementv1beta1.Work{},
			&handler.TypedEnqueueRequestForObject[*placementv1beta1.Work]{},
			predicate.TypedFuncs[*placementv1beta1.Work]{UpdateFunc: workChanged})).
		WatchesRawSource(source.Kind(r.hubCache, &clusterv1beta1.InternalMemberCluster{},
			handler.TypedEnqueueRequestsFromMapFunc(r.allWorks),
			predicate.TypedGenerationChangedPredicate[*clusterv1beta1.InternalMemberCluster]{})).
		Watches(&placementv1beta1.AppliedWork{}, handler.EnqueueRequestsFromMapFunc(r.workOf),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  func(event.UpdateEvent) bool { return false },
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		WatchesRawSource(r.tracker.Source()).
		Complete(r)
}

// workChanged passes Work updates the applier must act on: anything but its
// own status writes.
func workChanged(e event.TypedUpdateEvent[*placementv1beta1.Work]) bool {
	o, n := e.ObjectOld, e.ObjectNew
	return o.Generation != n.Generation ||
		!o.DeletionTimestamp.Equal(n.DeletionTimestamp) ||
		!slices.Equal(o.Finalizers, n.Finalizers)
}

// allWorks maps a change of the InternalMemberCluster to every Work.
func (r *Reconciler) allWorks(ctx context.Context, _ *clusterv1beta1.InternalMemberCluster) []reconcile.Request {
	works := &placementv1beta1.WorkList{}
	if err := r.hubClient.List(ctx, works, client.InNamespace(r.namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot list Works to follow the member cluster's state")
		return nil
	}
	out := make([]reconcile.Request, 0, len(works.Items))
	for i := range works.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&works.Items[i])})
	}
	return out
}

// workOf maps an AppliedWork to its Work.
func (r *Reconciler) workOf(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: r.namespace, Name: obj.GetName()}}}
}
