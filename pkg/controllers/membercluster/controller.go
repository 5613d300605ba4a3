// Package membercluster runs the hub side of a member cluster's life: it
// prepares the cluster's hub namespace, access and InternalMemberCluster,
// derives the MemberCluster's Joined and Healthy conditions from the member
// agent's heartbeats, and cleans up when the cluster leaves.
package membercluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Reconciler reconciles MemberClusters.
type Reconciler struct {
	client client.Client
	clock  clock.PassiveClock
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a Reconciler that reads time from clk.
func NewReconciler(c client.Client, clk clock.PassiveClock) *Reconciler {
	return &Reconciler{client: c, clock: clk}
}

// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=memberclusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=memberclusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=internalmemberclusters,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=works,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete;bind;escalate

// Reconcile prepares, watches over and retires one member cluster.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	mc := &clusterv1beta1.MemberCluster{}
	if err := r.client.Get(ctx, req.NamespacedName, mc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A leaving cluster keeps its namespace until the Works in it are gone.
	if !mc.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.leave(ctx, mc)
	}

	// The finalizer gives the hub the chance to clean up before the cluster goes.
	if controllerutil.AddFinalizer(mc, clusterv1beta1.MemberClusterFinalizer) {
		if err := r.client.Update(ctx, mc); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to MemberCluster %q: %w", mc.Name, err)
		}
	}

	// Everything the member agent needs on the hub must exist before it can join.
	imc, err := r.ensureHubObjects(ctx, mc)
	if err != nil {
		return reconcile.Result{}, err
	}

	// Status mirrors the agent's reports; a timer catches a heartbeat that never comes.
	before := mc.Status.DeepCopy()
	recheckIn := syncStatus(mc, imc, r.clock.Now())
	if !equality.Semantic.DeepEqual(before, &mc.Status) {
		if err := r.client.Status().Update(ctx, mc); err != nil {
			return reconcile.Result{}, fmt.Errorf("updating status of MemberCluster %q: %w", mc.Name, err)
		}
		log.V(2).Info("Updated member cluster status")
	}
	if recheckIn > 0 {
		// Look again just after the heartbeat would go stale.
		return reconcile.Result{RequeueAfter: recheckIn + time.Second}, nil
	}
	return reconcile.Result{}, nil
}

// leave asks the member agent to leave, waits until no Work is left in the
// cluster's namespace, deletes the namespace and releases the MemberCluster.
func (r *Reconciler) leave(ctx context.Context, mc *clusterv1beta1.MemberCluster) error {
	if !controllerutil.ContainsFinalizer(mc, clusterv1beta1.MemberClusterFinalizer) {
		return nil
	}
	ns := NamespaceName(mc.Name)
	imc := &clusterv1beta1.InternalMemberCluster{}
	switch err := r.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: mc.Name}, imc); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("getting InternalMemberCluster %s/%s: %w", ns, mc.Name, err)
	case imc.Spec.State != clusterv1beta1.ClusterStateLeave:
		imc.Spec.State = clusterv1beta1.ClusterStateLeave
		if err := r.client.Update(ctx, imc); err != nil {
			return fmt.Errorf("asking the member agent of %q to leave: %w", mc.Name, err)
		}
	}

	works := &placementv1beta1.WorkList{}
	if err := r.client.List(ctx, works, client.InNamespace(ns), client.Limit(1)); err != nil {
		return fmt.Errorf("listing Works in %q: %w", ns, err)
	}
	if len(works.Items) > 0 {
		// The Work watch brings us back when the last one is gone.
		ctrl.LoggerFrom(ctx).V(2).Info("Waiting for the member's Works to be removed", "namespace", ns)
		return nil
	}

	if err := r.client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting namespace %q: %w", ns, err)
	}
	controllerutil.RemoveFinalizer(mc, clusterv1beta1.MemberClusterFinalizer)
	if err := r.client.Update(ctx, mc); err != nil {
		return fmt.Errorf("removing finalizer from MemberCluster %q: %w", mc.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Member cluster left the fleet")
	return nil
}

// SetupWithManager registers the controller: it reacts to MemberCluster spec
// changes, to the agent's InternalMemberCluster reports, to the objects it
// owns, and to Work deletions in a member namespace (to finish leaving).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("membercluster").
		For(&clusterv1beta1.MemberCluster{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&clusterv1beta1.InternalMemberCluster{}).
		Owns(&corev1.Namespace{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&placementv1beta1.Work{}, handler.EnqueueRequestsFromMapFunc(workToMemberCluster),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  func(event.UpdateEvent) bool { return false },
				DeleteFunc:  func(event.DeleteEvent) bool { return true },
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		Complete(r)
}

// workToMemberCluster maps a Work in fleet-member-<cluster> to that cluster.
func workToMemberCluster(_ context.Context, obj client.Object) []reconcile.Request {
	cluster, ok := strings.CutPrefix(obj.GetNamespace(), NamespaceName(""))
	if !ok || cluster == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: cluster}}}
}
