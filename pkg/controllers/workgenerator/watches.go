package workgenerator

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
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
)

// targetClusterIndex indexes bindings by spec.targetCluster in the cache.
const targetClusterIndex = "workgenerator.spec.targetCluster"

// SetupWithManager registers the work generator. It reacts to bindings
// whose spec, deletion or RolloutStarted condition changed; to any change of
// a Work (the member agent's reports above all), mapped to the binding its
// parent-resource-binding label names; to resource snapshots coming or going,
// mapped to the bindings bound to their group; and to member clusters and
// their hub namespaces appearing, leaving or going, mapped to the bindings
// that target them; and to a placement's rollout strategy type changing
// (External implies the rollout's decision, see decide), mapped to its
// bindings.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := cacheindex.AddPlacement(context.Background(), mgr.GetFieldIndexer(), &placementv1beta1.ClusterResourceBinding{}, &placementv1beta1.ClusterResourceSnapshot{}); err != nil {
		return err
	}
	if err := cacheindex.AddParentBinding(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	r.reader = mgr.GetAPIReader()
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &placementv1beta1.ClusterResourceBinding{}, targetClusterIndex,
		func(obj client.Object) []string {
			b, ok := obj.(*placementv1beta1.ClusterResourceBinding)
			if !ok || b.Spec.TargetCluster == "" {
				return nil
			}
			return []string{b.Spec.TargetCluster}
		}); err != nil {
		return fmt.Errorf("indexing bindings by target cluster: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("work-generator").
		For(&placementv1beta1.ClusterResourceBinding{}, builder.WithPredicates(updatePredicate(bindingChanged))).
		Watches(&placementv1beta1.Work{}, handler.EnqueueRequestsFromMapFunc(parentBinding),
			builder.WithPredicates(updatePredicate(func(_, _ client.Object) bool { return true }))).
		Watches(&placementv1beta1.ClusterResourceSnapshot{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfSnapshot),
			builder.WithPredicates(updatePredicate(func(_, _ client.Object) bool { return false }))).
		Watches(&placementv1beta1.ClusterResourcePlacement{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfPlacement),
			builder.WithPredicates(updatePredicate(strategyTypeChanged), createOrDeleteIgnored())).
		Watches(&clusterv1beta1.MemberCluster{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfCluster),
			builder.WithPredicates(updatePredicate(deletionStarted))).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfNamespace),
			builder.WithPredicates(predicate.NewPredicateFuncs(isMemberNamespace), updatePredicate(deletionStarted))).
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

// bindingChanged passes binding updates that change what the work
// generator does: the spec (generation), deletion, the labels (the
// placement it belongs to) and the RolloutStarted condition. Our own status
// writes do not pass.
func bindingChanged(old, new client.Object) bool {
	o, ok1 := old.(*placementv1beta1.ClusterResourceBinding)
	n, ok2 := new.(*placementv1beta1.ClusterResourceBinding)
	if !ok1 || !ok2 {
		return true
	}
	started := string(placementv1beta1.ResourceBindingRolloutStarted)
	return o.Generation != n.Generation ||
		o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero() ||
		!maps.Equal(o.Labels, n.Labels) ||
		!equality.Semantic.DeepEqual(o.GetCondition(started), n.GetCondition(started))
}

// createOrDeleteIgnored drops creates and deletes: a placement's creation
// or deletion comes to its bindings through their own events.
func createOrDeleteIgnored() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		DeleteFunc: func(event.DeleteEvent) bool { return false },
	}
}

// strategyTypeChanged passes placement updates that change the rollout
// strategy's type.
func strategyTypeChanged(old, new client.Object) bool {
	o, ok1 := old.(*placementv1beta1.ClusterResourcePlacement)
	n, ok2 := new.(*placementv1beta1.ClusterResourcePlacement)
	return !ok1 || !ok2 || o.Spec.Strategy.Type != n.Spec.Strategy.Type
}

// deletionStarted passes the update that marks an object for deletion.
func deletionStarted(old, new client.Object) bool {
	return old.GetDeletionTimestamp().IsZero() != new.GetDeletionTimestamp().IsZero()
}

// parentBinding maps a Work to the binding its parent-resource-binding label names.
func parentBinding(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[placementv1beta1.ParentBindingLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
}

// groupMaster names the master snapshot of the group a resource snapshot
// belongs to, "" when its labels do not say.
func groupMaster(obj client.Object) string {
	crp := obj.GetLabels()[placementv1beta1.PlacementTrackingLabel]
	index, err := strconv.Atoi(obj.GetLabels()[placementv1beta1.ResourceIndexLabel])
	if crp == "" || err != nil {
		return ""
	}
	return fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)
}

// bindingsOfSnapshot maps a resource snapshot to the Bound bindings of its
// placement that name its group.
func (r *Reconciler) bindingsOfSnapshot(ctx context.Context, obj client.Object) []reconcile.Request {
	master := groupMaster(obj)
	if master == "" {
		return nil
	}
	list := &placementv1beta1.ClusterResourceBindingList{}
	// Only names and specs are read, so the cached objects need no copies.
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy,
		cacheindex.InPlacement(obj.GetLabels()[placementv1beta1.PlacementTrackingLabel])); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing the bindings of a resource snapshot's placement", "snapshot", obj.GetName())
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		b := &list.Items[i]
		if b.Spec.State == placementv1beta1.BindingStateBound && b.Spec.ResourceSnapshotName == master {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: b.Name}})
		}
	}
	return reqs
}

// bindingsOfPlacement maps a placement to its Bound bindings.
func (r *Reconciler) bindingsOfPlacement(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy,
		cacheindex.InPlacement(obj.GetName())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing the bindings of a placement", "placement", obj.GetName())
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Spec.State == placementv1beta1.BindingStateBound {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}})
		}
	}
	return reqs
}

// bindingsOfCluster maps a member cluster to the bindings that target it.
func (r *Reconciler) bindingsOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.bindingsTargeting(ctx, obj.GetName())
}

// bindingsOfNamespace maps a member cluster's hub namespace to the bindings
// that target the cluster.
func (r *Reconciler) bindingsOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	cluster, ok := memberOfNamespace(obj.GetName())
	if !ok {
		return nil
	}
	return r.bindingsTargeting(ctx, cluster)
}

// bindingsTargeting lists the bindings whose target cluster is cluster.
func (r *Reconciler) bindingsTargeting(ctx context.Context, cluster string) []reconcile.Request {
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, list, client.UnsafeDisableDeepCopy, client.MatchingFields{targetClusterIndex: cluster}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing the bindings of a member cluster", "cluster", cluster)
		return nil
	}
	reqs := make([]reconcile.Request, len(list.Items))
	for i := range list.Items {
		reqs[i] = reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}}
	}
	return reqs
}

// memberOfNamespace returns the member cluster whose hub namespace ns is.
func memberOfNamespace(ns string) (string, bool) {
	cluster, ok := strings.CutPrefix(ns, namespaceOf(""))
	return cluster, ok && cluster != ""
}

// isMemberNamespace passes the hub namespaces of member clusters.
func isMemberNamespace(obj client.Object) bool {
	_, ok := memberOfNamespace(obj.GetName())
	return ok
}
