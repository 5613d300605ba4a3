// Package workgenerator runs the work generator: for every Bound binding whose
// rollout has started it writes one Work per resource snapshot of the bound
// group into the target cluster's hub namespace, fleet-member-<cluster>, and
// reports what the member agent says about those Works in the binding's
// status. Under the External strategy an update run's binding of a cluster
// is itself the decision to roll out: the work generator then writes
// RolloutStarted with that status (see decide). Works of Unscheduled bindings stay until the binding is deleted
// (or the cluster leaves); a deleted binding goes only after its Works are
// gone. After writing the Works of a new binding generation it waits briefly
// for the member agent's first report (DefaultReportWait), so that one
// binding status write says both that the Works are synchronized and how
// they applied.
package workgenerator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Reconciler generates the Works of ClusterResourceBindings.
type Reconciler struct {
	client client.Client
	// reader lists Works before a deleted binding lets go of them.
	// SetupWithManager makes it the manager's uncached reader: a Work
	// created just before the binding was deleted must not be missed, or it
	// would outlive its binding.
	reader client.Reader
	clock  clock.PassiveClock
	// holds hold the status of Works just written back until the member
	// agent reports on them (see DefaultReportWait).
	holds *statusHolds
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a work generator Reconciler.
func NewReconciler(c client.Client) *Reconciler {
	return &Reconciler{client: c, reader: c, clock: clock.RealClock{}, holds: newStatusHolds(DefaultReportWait)}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcesnapshots,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=works,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=memberclusters,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile brings one binding's Works and status up to date.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	b := &placementv1beta1.ClusterResourceBinding{}
	if err := r.client.Get(ctx, req.NamespacedName, b); err != nil {
		if apierrors.IsNotFound(err) {
			r.holds.forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted binding takes its Works with it.
	if !b.DeletionTimestamp.IsZero() {
		r.holds.forget(b.Name)
		return reconcile.Result{}, r.finalize(ctx, b)
	}

	// A Scheduled binding has nothing to place yet.
	if b.Spec.State != placementv1beta1.BindingStateBound && b.Spec.State != placementv1beta1.BindingStateUnscheduled {
		log.V(4).Info("Ignoring binding", "state", b.Spec.State)
		return reconcile.Result{}, nil
	}

	// The finalizer keeps the binding until its Works are gone.
	if controllerutil.AddFinalizer(b, placementv1beta1.WorkFinalizer) {
		if err := r.client.Update(ctx, b); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to ClusterResourceBinding %q: %w", b.Name, err)
		}
	}

	target, err := r.clusterState(ctx, b.Spec.TargetCluster)
	if err != nil {
		return reconcile.Result{}, err
	}
	log = log.WithValues("cluster", b.Spec.TargetCluster)
	ctx = ctrl.LoggerInto(ctx, log)

	if b.Spec.State == placementv1beta1.BindingStateUnscheduled {
		// The member keeps running what it was given until the binding
		// goes, unless the cluster leaves the fleet: its Works would keep it.
		if target.leaving {
			return reconcile.Result{}, r.deleteWorks(ctx, b)
		}
		return reconcile.Result{}, r.observe(ctx, b,
			"The cluster is no longer picked by the scheduler; its Works stay as they are until the binding is deleted")
	}

	// A Bound binding is placed as its spec says once the rollout has
	// decided about its current generation.
	d, err := r.decide(ctx, b)
	if err != nil {
		return reconcile.Result{}, err
	}
	switch {
	case d.started == nil:
		// The rollout's write of RolloutStarted brings the binding back.
		log.V(2).Info("Waiting for the rollout to decide about the binding's generation", "generation", b.Generation)
		return reconcile.Result{}, nil
	case target.problem != "":
		// The MemberCluster or namespace watch brings the binding back.
		log.V(2).Info("Not writing Works", "reason", target.problem)
		return reconcile.Result{}, r.writeStatus(ctx, b, computeStatus(b, outcome{failure: target.problem, started: d.implied}))
	case d.started.Status == metav1.ConditionFalse:
		return reconcile.Result{}, r.observe(ctx, b,
			"The rollout has not started on the cluster yet; its Works stay at the resources placed before")
	}

	o, err := r.syncWorks(ctx, b)
	if isTransient(err) {
		// Our cache has not caught up with a write; the retry reads again.
		return reconcile.Result{}, err
	}
	o.started = d.implied
	status := computeStatus(b, o)
	if err == nil {
		// The member agent's first report on Works just written usually
		// comes quickly, and its Work watch brings the binding back: one
		// status write then says both. The timer writes what we know if it
		// does not come in time.
		if wait := r.holds.hold(b, &status, o.wrote, r.clock.Now()); wait > 0 {
			log.V(4).Info("Holding the binding's status back until the member agent reports on its Works", "atMost", wait)
			return reconcile.Result{RequeueAfter: wait}, nil
		}
	}
	if statusErr := r.writeStatus(ctx, b, status); statusErr != nil {
		// The retry syncs again and reports what it finds.
		return reconcile.Result{}, statusErr
	}
	return reconcile.Result{}, err
}

// cluster is what the work generator needs to know about a target cluster.
type cluster struct {
	// leaving is true when the MemberCluster is gone or being deleted.
	leaving bool
	// problem says why no Work can be written for the cluster; "" when they can.
	problem string
}

// clusterState looks the target cluster and its hub namespace up.
func (r *Reconciler) clusterState(ctx context.Context, name string) (cluster, error) {
	mc := &clusterv1beta1.MemberCluster{}
	switch err := r.client.Get(ctx, types.NamespacedName{Name: name}, mc); {
	case apierrors.IsNotFound(err):
		return cluster{leaving: true, problem: fmt.Sprintf("MemberCluster %q does not exist", name)}, nil
	case err != nil:
		return cluster{}, fmt.Errorf("getting MemberCluster %q: %w", name, err)
	case !mc.DeletionTimestamp.IsZero():
		return cluster{leaving: true, problem: fmt.Sprintf("MemberCluster %q is leaving the fleet", name)}, nil
	}
	nsName := namespaceOf(name)
	ns := &corev1.Namespace{}
	switch err := r.client.Get(ctx, types.NamespacedName{Name: nsName}, ns); {
	case apierrors.IsNotFound(err):
		return cluster{problem: fmt.Sprintf("the namespace %q of MemberCluster %q does not exist yet", nsName, name)}, nil
	case err != nil:
		return cluster{}, fmt.Errorf("getting namespace %q: %w", nsName, err)
	case !ns.DeletionTimestamp.IsZero():
		return cluster{problem: fmt.Sprintf("the namespace %q of MemberCluster %q is being deleted", nsName, name)}, nil
	}
	return cluster{}, nil
}

// namespaceOf is the hub namespace of a member cluster: fleet-member-<cluster>.
func namespaceOf(cluster string) string {
	return fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, cluster)
}

// observe reports on the binding's Works without changing them: the rollout
// holds the binding back, or the cluster is no longer picked. The Works'
// reports count only while they carry what the binding's spec names; a
// binding that never placed anything is left alone.
func (r *Reconciler) observe(ctx context.Context, b *placementv1beta1.ClusterResourceBinding, notSynced string) error {
	live, _, err := r.listWorks(ctx, b)
	if err != nil {
		return err
	}
	if len(live) == 0 {
		return nil
	}
	o := outcome{works: sortedWorks(live)}
	if !worksMatchBinding(b, live) {
		o.pending = notSynced
	}
	return r.writeStatus(ctx, b, computeStatus(b, o))
}

// finalize deletes a deleted binding's Works, waits until the member agents
// have let go of them, and then removes the binding's finalizer. The Work
// watch brings the binding back as they go.
func (r *Reconciler) finalize(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) error {
	if !controllerutil.ContainsFinalizer(b, placementv1beta1.WorkFinalizer) {
		return nil
	}
	works := &placementv1beta1.WorkList{}
	if err := r.reader.List(ctx, works, client.MatchingLabels{placementv1beta1.ParentBindingLabel: b.Name}); err != nil {
		return fmt.Errorf("listing Works of ClusterResourceBinding %q: %w", b.Name, err)
	}
	for i := range works.Items {
		if err := r.deleteWork(ctx, &works.Items[i]); err != nil {
			return err
		}
	}
	if len(works.Items) > 0 {
		ctrl.LoggerFrom(ctx).V(2).Info("Waiting for the binding's Works to be removed", "count", len(works.Items))
		return nil
	}
	controllerutil.RemoveFinalizer(b, placementv1beta1.WorkFinalizer)
	if err := r.client.Update(ctx, b); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("removing finalizer from ClusterResourceBinding %q: %w", b.Name, err))
	}
	ctrl.LoggerFrom(ctx).Info("Released the binding: all its Works are gone")
	return nil
}

// writeStatus writes the binding's status when it changed. The update is
// guarded by the binding's resourceVersion, so a binding that changed since
// it was read (a new RolloutStarted, a new generation) fails with a conflict
// and is looked at again.
func (r *Reconciler) writeStatus(ctx context.Context, b *placementv1beta1.ClusterResourceBinding, status placementv1beta1.ResourceBindingStatus) error {
	if equality.Semantic.DeepEqual(b.Status, status) {
		return nil
	}
	b = b.DeepCopy()
	b.Status = status
	if err := r.client.Status().Update(ctx, b); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("updating status of ClusterResourceBinding %q: %w", b.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(2).Info("Updated binding status", "binding", klog.KObj(b), "generation", b.Generation)
	return nil
}
