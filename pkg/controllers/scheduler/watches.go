package scheduler

import (
	"context"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
)

// SetupWithManager registers the scheduler. It reacts to placements being
// created or deleted, to policy snapshots and bindings of a placement, and to
// member cluster changes that can change a pick: labels, taints, Joined or
// Healthy, and deletion.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := cacheindex.AddPlacement(context.Background(), mgr.GetFieldIndexer(), &placementv1beta1.ClusterSchedulingPolicySnapshot{}); err != nil {
		return err
	}
	r.apiReader = mgr.GetAPIReader()
	return ctrl.NewControllerManagedBy(mgr).
		Named("scheduler").
		For(&placementv1beta1.ClusterResourcePlacement{}, builder.WithPredicates(updatePredicate(placementChanged))).
		Watches(&placementv1beta1.ClusterSchedulingPolicySnapshot{}, handlers.EnqueueParentPlacement,
			builder.WithPredicates(predicate.Or[client.Object](updatePredicate(snapshotChanged), r.snapshotWrites.ArrivedPredicate()))).
		Watches(&placementv1beta1.ClusterResourceBinding{}, handlers.EnqueueParentPlacement,
			builder.WithPredicates(updatePredicate(bindingChanged))).
		Watches(&clusterv1beta1.MemberCluster{}, handler.EnqueueRequestsFromMapFunc(r.allPlacements),
			builder.WithPredicates(updatePredicate(clusterChanged))).
		Complete(r)
}

// updatePredicate passes every create and delete, and the updates changed
// says matter.
func updatePredicate(changed func(old, new client.Object) bool) predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc:  func(e event.UpdateEvent) bool { return changed(e.ObjectOld, e.ObjectNew) },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// metaChanged reports a change of the deletion timestamp or the finalizers.
func metaChanged(old, new client.Object) bool {
	return old.GetDeletionTimestamp().IsZero() != new.GetDeletionTimestamp().IsZero() ||
		!slices.Equal(old.GetFinalizers(), new.GetFinalizers())
}

// placementChanged: the scheduler's part of a placement is its finalizer and
// its deletion; its policy reaches the scheduler through snapshots.
func placementChanged(old, new client.Object) bool {
	return metaChanged(old, new)
}

// snapshotChanged ignores status-only writes (our own among them; the
// event of one a pass waits for comes through snapshotWrites'
// ArrivedPredicate).
func snapshotChanged(old, new client.Object) bool {
	return old.GetGeneration() != new.GetGeneration() ||
		!maps.Equal(old.GetLabels(), new.GetLabels()) ||
		!maps.Equal(old.GetAnnotations(), new.GetAnnotations()) ||
		metaChanged(old, new)
}

// bindingChanged passes the binding changes that can change a placement's
// picks: its cluster, its placement label, its deletion, and a move into or
// out of Unscheduled. Rollouts move bindings between Scheduled and Bound and
// from snapshot to snapshot, other controllers add finalizers, and the work
// generator writes status often; none of that changes what is picked, and
// each would cost the scheduler an uncached list of the placement's bindings.
func bindingChanged(old, new client.Object) bool {
	o, ok1 := old.(*placementv1beta1.ClusterResourceBinding)
	n, ok2 := new.(*placementv1beta1.ClusterResourceBinding)
	if !ok1 || !ok2 {
		return true
	}
	unscheduled := func(b *placementv1beta1.ClusterResourceBinding) bool {
		return b.Spec.State == placementv1beta1.BindingStateUnscheduled
	}
	return o.Spec.TargetCluster != n.Spec.TargetCluster ||
		unscheduled(o) != unscheduled(n) ||
		o.Labels[placementv1beta1.PlacementTrackingLabel] != n.Labels[placementv1beta1.PlacementTrackingLabel] ||
		o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero()
}

// clusterChanged reports the member cluster changes that can change a pick.
// Heartbeats, usage and property updates do not: properties change too often
// to reschedule every placement on each report, so property-based picks are
// revisited on the next event that does.
func clusterChanged(old, new client.Object) bool {
	o, ok1 := old.(*clusterv1beta1.MemberCluster)
	n, ok2 := new.(*clusterv1beta1.MemberCluster)
	if !ok1 || !ok2 {
		return true
	}
	return !maps.Equal(o.Labels, n.Labels) ||
		!equality.Semantic.DeepEqual(o.Spec.Taints, n.Spec.Taints) ||
		conditionStatus(o, clusterv1beta1.ConditionTypeMemberClusterJoined) != conditionStatus(n, clusterv1beta1.ConditionTypeMemberClusterJoined) ||
		conditionStatus(o, clusterv1beta1.ConditionTypeMemberClusterHealthy) != conditionStatus(n, clusterv1beta1.ConditionTypeMemberClusterHealthy) ||
		o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero()
}

// allPlacements maps a member cluster change to every placement: any of them
// may pick the cluster, or lose it.
func (r *Reconciler) allPlacements(ctx context.Context, _ client.Object) []reconcile.Request {
	list := &placementv1beta1.ClusterResourcePlacementList{}
	// Only names are read, so the cached objects need no copies.
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing placements to reschedule after a member cluster change")
		return nil
	}
	reqs := make([]reconcile.Request, len(list.Items))
	for i := range list.Items {
		reqs[i] = reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}}
	}
	return reqs
}
