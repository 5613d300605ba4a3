package updaterun

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// placementNameField indexes runs by the placement they roll out.
const placementNameField = "spec.placementName"

// SetupWithManager registers the controller. Besides run spec changes (and
// our own status writes a skipped pass waits for, see pkg/util/ownwrites) it reacts
// to everything a run waits on: its approval requests, the bindings
// and snapshots of its placement, and member clusters leaving.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := cacheindex.AddPlacement(context.Background(), mgr.GetFieldIndexer(), &placementv1beta1.ClusterResourceBinding{}, &placementv1beta1.ClusterSchedulingPolicySnapshot{}, &placementv1beta1.ClusterResourceSnapshot{}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &placementv1beta1.ClusterStagedUpdateRun{}, placementNameField,
		func(obj client.Object) []string {
			return []string{obj.(*placementv1beta1.ClusterStagedUpdateRun).Spec.PlacementName}
		}); err != nil {
		return fmt.Errorf("indexing update runs by placement: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("updaterun").
		For(&placementv1beta1.ClusterStagedUpdateRun{}, builder.WithPredicates(predicate.Or[client.Object](r.ownWrites.ArrivedPredicate(), predicate.GenerationChangedPredicate{}))).
		Watches(&placementv1beta1.ClusterApprovalRequest{}, handler.EnqueueRequestsFromMapFunc(runOfApproval), builder.WithPredicates(approvalChanged)).
		Watches(&placementv1beta1.ClusterResourceBinding{}, r.spacing.enqueueSpaced(r.runsOfPlacement), builder.WithPredicates(bindingChanged)).
		Watches(&placementv1beta1.ClusterSchedulingPolicySnapshot{}, handler.EnqueueRequestsFromMapFunc(r.runsOfPlacement)).
		Watches(&placementv1beta1.ClusterResourceSnapshot{}, handler.EnqueueRequestsFromMapFunc(r.runsOfPlacement), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Watches(&clusterv1beta1.MemberCluster{}, handler.EnqueueRequestsFromMapFunc(r.activeRuns), builder.WithPredicates(clusterLeavingOrHealthChanged)).
		Complete(r)
}

// runOfApproval maps an approval request to the run it gates.
func runOfApproval(_ context.Context, obj client.Object) []reconcile.Request {
	req, ok := obj.(*placementv1beta1.ClusterApprovalRequest)
	if !ok || req.Spec.TargetUpdateRun == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: req.Spec.TargetUpdateRun}}}
}

// approvalChanged passes approvals and acceptances given or taken back, and
// deletions (an unconsumed request is recreated).
var approvalChanged = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*placementv1beta1.ClusterApprovalRequest)
		n, ok2 := e.ObjectNew.(*placementv1beta1.ClusterApprovalRequest)
		if !ok1 || !ok2 {
			return true
		}
		for _, t := range []placementv1beta1.ApprovalRequestConditionType{
			placementv1beta1.ApprovalRequestConditionApproved, placementv1beta1.ApprovalRequestConditionApprovalAccepted,
		} {
			if conditionAt(o.Status.Conditions, string(t), o.Generation) != conditionAt(n.Status.Conditions, string(t), n.Generation) {
				return true
			}
		}
		return false
	},
}

// bindingChanged passes binding changes a run acts on: spec and deletion
// (both bump the generation or set a timestamp) and condition changes.
var bindingChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*placementv1beta1.ClusterResourceBinding)
		n, ok2 := e.ObjectNew.(*placementv1beta1.ClusterResourceBinding)
		if !ok1 || !ok2 {
			return true
		}
		return o.Generation != n.Generation || !o.DeletionTimestamp.Equal(n.DeletionTimestamp) ||
			!equality.Semantic.DeepEqual(o.Status.Conditions, n.Status.Conditions)
	},
}

// clusterLeavingOrHealthChanged passes member clusters that start leaving
// or are gone (their clusters are skipped), and those whose health changes
// (a stuck cluster's message says why it is unhealthy).
var clusterLeavingOrHealthChanged = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		if e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero() {
			return true
		}
		o, ok1 := e.ObjectOld.(*clusterv1beta1.MemberCluster)
		n, ok2 := e.ObjectNew.(*clusterv1beta1.MemberCluster)
		if !ok1 || !ok2 {
			return true
		}
		return healthStatus(o) != healthStatus(n)
	},
	DeleteFunc:  func(event.DeleteEvent) bool { return true },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// healthStatus is the status of a member cluster's Healthy condition.
func healthStatus(mc *clusterv1beta1.MemberCluster) metav1.ConditionStatus {
	if c := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy)); c != nil {
		return c.Status
	}
	return metav1.ConditionUnknown
}

// runsOfPlacement maps an object of a placement to its unfinished runs.
func (r *Reconciler) runsOfPlacement(ctx context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[placementv1beta1.PlacementTrackingLabel]
	if name == "" {
		return nil
	}
	return r.unfinishedRuns(ctx, client.MatchingFields{placementNameField: name})
}

// activeRuns maps a change to every unfinished run.
func (r *Reconciler) activeRuns(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.unfinishedRuns(ctx)
}

func (r *Reconciler) unfinishedRuns(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	runs := &placementv1beta1.ClusterStagedUpdateRunList{}
	// Only names and conditions are read, so the cached runs need no copies.
	if err := r.client.List(ctx, runs, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot list update runs to notify")
		return nil
	}
	var out []reconcile.Request
	for i := range runs.Items {
		run := &runs.Items[i]
		if meta.FindStatusCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded)) != nil ||
			meta.IsStatusConditionFalse(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionInitialized)) {
			continue
		}
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: run.Name}})
	}
	return out
}
