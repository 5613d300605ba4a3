// Package updaterun runs ClusterStagedUpdateRuns: it initializes a run once
// (placement, policy snapshot, stages, resource snapshot), then its stage
// executor moves each stage's clusters to the run's resource snapshot a few
// at a time, gates stages with approvals and timed waits, removes the
// clusters the placement let go, and reports every step in the run's status.
//
// Progress is event-driven: the controller watches bindings, approval
// requests, member clusters and snapshots, and only sets timers for
// TimedWait tasks and the stuck threshold.
package updaterun

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/ownwrites"
)

// DefaultStuckThreshold is how long a cluster may take to update before the
// run reports it stuck.
const DefaultStuckThreshold = 5 * time.Minute

// Reconciler runs ClusterStagedUpdateRuns.
type Reconciler struct {
	client client.Client
	// apiReader reads around the cache where a stale read would be mistaken
	// for another run's change.
	apiReader      client.Reader
	clock          clock.PassiveClock
	recorder       events.EventRecorder
	stuckThreshold time.Duration
	// ownWrites are the writes of runs the cache has not shown yet.
	ownWrites *ownwrites.Tracker
	// spacing keeps the passes binding changes cause apart.
	spacing *passSpacing
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns an update run Reconciler. apiReader should read from
// the API server directly; stuckThreshold is how long a cluster may take
// before the run reports it stuck.
func NewReconciler(c client.Client, apiReader client.Reader, clk clock.PassiveClock, recorder events.EventRecorder, stuckThreshold time.Duration) *Reconciler {
	return &Reconciler{client: c, apiReader: apiReader, clock: clk, recorder: recorder, stuckThreshold: stuckThreshold, ownWrites: ownwrites.New(), spacing: newPassSpacing(DefaultBindingPassSpacing)}
}

// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterstagedupdateruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterstagedupdateruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterstagedupdatestrategies,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterapprovalrequests,verbs=get;list;watch;create;delete;deletecollection
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterapprovalrequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcebindings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourceplacements,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterschedulingpolicysnapshots,verbs=get;list;watch
// +kubebuilder:rbac:groups=placement.kubernetes-fleet.io,resources=clusterresourcesnapshots,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.kubernetes-fleet.io,resources=memberclusters,verbs=get;list;watch

// Reconcile takes one run as far as it can go now.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	if err := r.client.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			r.ownWrites.Forget(req.Name)
			r.spacing.forget(req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A run our cache shows from before our last write of it waits for that
	// write's event rather than deciding again from what it moved past.
	if stale, err := r.ownWrites.Stale(ctx, r.client, run); err != nil || stale {
		if stale {
			ctrl.LoggerFrom(ctx).V(4).Info("Waiting for the cache to show our last write of the run", "resourceVersion", run.ResourceVersion)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	// A deleted run takes its approval requests with it; bindings stay as they are.
	if !run.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.cleanUp(ctx, run)
	}

	// The finalizer lets the approval requests go before the run does.
	if controllerutil.AddFinalizer(run, placementv1beta1.ClusterStagedUpdateRunFinalizer) {
		replaced := run.ResourceVersion
		if err := r.client.Update(ctx, run); err != nil {
			return reconcile.Result{}, fmt.Errorf("adding finalizer to ClusterStagedUpdateRun %q: %w", run.Name, err)
		}
		r.ownWrites.Wrote(run.Name, replaced)
	}

	original := run.Status.DeepCopy()
	restamp(&run.Status, run.Generation)
	p := &pass{r: r, run: run, now: r.clock.Now()}
	result, err := p.reconcile(ctx)

	// One status write per pass, and none when nothing changed; progress
	// alone waits for its pace (see progressPace).
	change := compareRunStatus(original, &run.Status)
	changed := change != unchanged
	if change == clustersFinished && err == nil && len(p.events) == 0 {
		if wait := r.spacing.hold(run.Name, progressPace(runClusters(&run.Status))); wait > 0 {
			ctrl.LoggerFrom(ctx).V(4).Info("Holding back a status write that only reports clusters finishing", "for", wait)
			if result.RequeueAfter == 0 || wait < result.RequeueAfter {
				result.RequeueAfter = wait
			}
			changed = false
		}
	}
	if changed {
		replaced := run.ResourceVersion
		if werr := r.client.Status().Update(ctx, run); werr != nil {
			return reconcile.Result{}, errors.Join(err, fmt.Errorf("updating the status of ClusterStagedUpdateRun %q: %w", run.Name, werr))
		}
		r.ownWrites.Wrote(run.Name, replaced)
		r.spacing.written(run.Name)
	}
	for _, e := range p.events {
		r.recorder.Eventf(run, nil, e.kind, e.reason, e.reason, e.note)
	}
	recordStatus(run, float64(p.now.Unix()))
	return result, err
}

// cleanUp deletes the run's approval requests and releases the run.
func (r *Reconciler) cleanUp(ctx context.Context, run *placementv1beta1.ClusterStagedUpdateRun) error {
	if !controllerutil.ContainsFinalizer(run, placementv1beta1.ClusterStagedUpdateRunFinalizer) {
		return nil
	}
	if err := r.client.DeleteAllOf(ctx, &placementv1beta1.ClusterApprovalRequest{},
		client.MatchingLabels{placementv1beta1.TargetUpdateRunLabel: run.Name}); err != nil {
		return fmt.Errorf("deleting the approval requests of ClusterStagedUpdateRun %q: %w", run.Name, err)
	}
	forgetMetrics(run)
	r.ownWrites.Forget(run.Name)
	r.spacing.forget(run.Name)
	controllerutil.RemoveFinalizer(run, placementv1beta1.ClusterStagedUpdateRunFinalizer)
	if err := r.client.Update(ctx, run); err != nil {
		return fmt.Errorf("removing finalizer from ClusterStagedUpdateRun %q: %w", run.Name, err)
	}
	return nil
}

// runEvent is a Kubernetes Event to emit once the status that justifies it is written.
type runEvent struct {
	kind, reason, note string
}

// pass is one reconcile of one run: what it read, what it decided, when it
// wants to be back.
type pass struct {
	r      *Reconciler
	run    *placementv1beta1.ClusterStagedUpdateRun
	now    time.Time
	events []runEvent
	// requeueAfter is the earliest timer the run waits on; zero for none.
	requeueAfter time.Duration
}

func (p *pass) normal(reason, format string, args ...any) {
	p.events = append(p.events, runEvent{kind: corev1.EventTypeNormal, reason: reason, note: fmt.Sprintf(format, args...)})
}

func (p *pass) warning(reason, format string, args ...any) {
	p.events = append(p.events, runEvent{kind: corev1.EventTypeWarning, reason: reason, note: fmt.Sprintf(format, args...)})
}

// wakeAfter asks to be reconciled again after d at the latest.
func (p *pass) wakeAfter(d time.Duration) {
	d = max(d, time.Second)
	if p.requeueAfter == 0 || d < p.requeueAfter {
		p.requeueAfter = d
	}
}

func (p *pass) setRun(t placementv1beta1.StagedUpdateRunConditionType, status metav1.ConditionStatus, reason, message string) {
	set(&p.run.Status.Conditions, string(t), status, reason, message, p.run.Generation)
}

// reconcile initializes the run when needed, then executes it in its state.
func (p *pass) reconcile(ctx context.Context) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	status := &p.run.Status
	init := string(placementv1beta1.StagedUpdateRunConditionInitialized)
	switch {
	case meta.IsStatusConditionFalse(status.Conditions, init):
		return reconcile.Result{}, nil // initialization failed for good
	case has(status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded)):
		return reconcile.Result{}, nil // finished, for good
	}

	if !isTrue(status.Conditions, init) {
		fresh := p.run.DeepCopy()
		err := p.r.initialize(ctx, fresh)
		var wait *waitError
		switch {
		case isRunError(err):
			p.setRun(placementv1beta1.StagedUpdateRunConditionInitialized, metav1.ConditionFalse, placementv1beta1.UpdateRunInitializeFailedReason, err.Error())
			p.warning("InitializationFailed", "%s", err.Error())
			return reconcile.Result{}, nil
		case errors.As(err, &wait):
			// The watches on what it waits for bring the run back.
			p.setRun(placementv1beta1.StagedUpdateRunConditionInitialized, metav1.ConditionUnknown, placementv1beta1.UpdateRunInitializingReason, err.Error())
			log.V(1).Info("Waiting to initialize", "reason", err.Error())
			return reconcile.Result{}, nil
		case err != nil:
			return reconcile.Result{}, err
		}
		fresh.Status.Conditions = p.run.Status.Conditions
		p.run.Status = fresh.Status
		p.setRun(placementv1beta1.StagedUpdateRunConditionInitialized, metav1.ConditionTrue, placementv1beta1.UpdateRunInitializeSucceededReason, initializedMessage)
		p.normal("Initialized", "Rolling out resource snapshot index %s of ClusterResourcePlacement %q to %d cluster(s) in %d stage(s)",
			status.ResourceSnapshotIndexUsed, p.run.Spec.PlacementName, status.PolicyObservedClusterCount, len(status.StagesStatus))
	}

	err := p.execute(ctx)
	if isRunError(err) {
		p.failRun(err)
		return reconcile.Result{}, nil
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: p.requeueAfter}, nil
}

// failRun ends the run and the stage it was in with the error's message.
func (p *pass) failRun(err error) {
	msg := err.Error()
	if s := p.currentStage(); s != nil {
		set(&s.Conditions, string(placementv1beta1.StageUpdatingConditionProgressing), metav1.ConditionFalse, placementv1beta1.StageUpdatingFailedReason, msg, p.run.Generation)
		set(&s.Conditions, string(placementv1beta1.StageUpdatingConditionSucceeded), metav1.ConditionFalse, placementv1beta1.StageUpdatingFailedReason, msg, p.run.Generation)
	}
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, placementv1beta1.UpdateRunFailedReason, msg)
	p.setRun(placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionFalse, placementv1beta1.UpdateRunFailedReason, msg)
	p.warning("Failed", "%s", msg)
}

// currentStage returns the first unfinished stage (the deletion stage once
// every update stage is done), or nil.
func (p *pass) currentStage() *placementv1beta1.StageUpdatingStatus {
	for i := range p.run.Status.StagesStatus {
		if !stageFinished(&p.run.Status.StagesStatus[i]) {
			return &p.run.Status.StagesStatus[i]
		}
	}
	if d := p.run.Status.DeletionStageStatus; d != nil && !stageFinished(d) {
		return d
	}
	return nil
}
