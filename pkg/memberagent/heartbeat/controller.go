// Package heartbeat joins the member cluster to the fleet, heartbeats, and
// leaves, through the cluster's InternalMemberCluster on the hub.
//
// Every spec.heartbeatPeriodSeconds it writes the MemberAgent entry of
// status.agentStatus: Joined (True while spec.state is Join, False once it is
// Leave), Healthy (whether the member's API server answers /readyz) and
// lastReceivedHeartbeat, and, while joined, the cluster's node count and
// CPU and memory capacity, allocatable and available in status.properties
// and status.resourceUsage. The hub's member cluster controller turns these
// into the MemberCluster's Joined and Healthy conditions and columns.
//
// Permissions. On the hub, in its namespace: get/list/watch
// internalmemberclusters, get/update/patch internalmemberclusters/status. On
// the member cluster: list/watch nodes, list pods. (Not kubebuilder markers:
// they would leak into the hub agent's role.)
package heartbeat

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// defaultPeriod is the heartbeat period when the spec does not say.
const defaultPeriod = 60 * time.Second

// HealthChecker tells whether the member cluster is healthy.
type HealthChecker interface {
	Check(ctx context.Context) error
}

// readyz probes an API server's /readyz endpoint.
type readyz struct{ client rest.Interface }

// NewReadyzChecker returns a HealthChecker that asks the API server behind c
// whether it is ready.
func NewReadyzChecker(c rest.Interface) HealthChecker { return readyz{client: c} }

func (r readyz) Check(ctx context.Context) error {
	if err := r.client.Get().AbsPath("/readyz").Do(ctx).Error(); err != nil {
		return fmt.Errorf("probing /readyz: %w", err)
	}
	return nil
}

// Reconciler heartbeats through one InternalMemberCluster.
type Reconciler struct {
	hubClient client.Client
	hubCache  cache.Cache
	nodes     client.Reader
	pods      client.Reader
	health    HealthChecker
	clock     clock.PassiveClock

	memberName string
	namespace  string
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a Reconciler for member cluster name. It reads and
// writes the InternalMemberCluster through hubClient (backed by hubCache),
// lists nodes through nodes and pods through pods on the member cluster.
func NewReconciler(hubClient client.Client, hubCache cache.Cache, nodes, pods client.Reader, health HealthChecker, clk clock.PassiveClock, name string) *Reconciler {
	return &Reconciler{
		hubClient:  hubClient,
		hubCache:   hubCache,
		nodes:      nodes,
		pods:       pods,
		health:     health,
		clock:      clk,
		memberName: name,
		namespace:  fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, name),
	}
}

// Reconcile sends one heartbeat and schedules the next.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	imc := &clusterv1beta1.InternalMemberCluster{}
	if err := r.hubClient.Get(ctx, req.NamespacedName, imc); err != nil {
		// The watch brings us back when the hub creates it.
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	period := defaultPeriod
	if imc.Spec.HeartbeatPeriodSeconds > 0 {
		period = time.Duration(imc.Spec.HeartbeatPeriodSeconds) * time.Second
	}
	joined := imc.Spec.State == clusterv1beta1.ClusterStateJoin
	now := metav1.NewTime(r.clock.Now())

	patch := client.MergeFromWithOptions(imc.DeepCopy(), client.MergeFromWithOptimisticLock{})
	report(imc, joined, r.health.Check(ctx), now)
	// A joined cluster reports its capacity; failing to read it does not
	// stop the heartbeat, the previous values stay.
	if joined {
		if err := r.reportUsage(ctx, imc, now); err != nil {
			log.Error(err, "Cannot collect the cluster's resource usage")
		}
	}
	if err := r.hubClient.Status().Patch(ctx, imc, patch); err != nil {
		return reconcile.Result{}, fmt.Errorf("heartbeating to InternalMemberCluster %s: %w", req.NamespacedName, err)
	}
	log.V(2).Info("Sent heartbeat", "joined", joined, "next", period)
	return reconcile.Result{RequeueAfter: period}, nil
}

// report writes the member agent's conditions and heartbeat time.
func report(imc *clusterv1beta1.InternalMemberCluster, joined bool, healthErr error, now metav1.Time) {
	joinedCond := metav1.Condition{
		Type:               string(clusterv1beta1.AgentJoined),
		Status:             metav1.ConditionTrue,
		Reason:             clusterv1beta1.AgentJoinedReason,
		Message:            "The member agent has joined the fleet and applies the cluster's Works",
		ObservedGeneration: imc.Generation,
	}
	if !joined {
		joinedCond.Status, joinedCond.Reason = metav1.ConditionFalse, clusterv1beta1.AgentLeftReason
		joinedCond.Message = "The member agent has left the fleet: it applies no new Works and only cleans up deleted ones"
	}
	healthyCond := metav1.Condition{
		Type:               string(clusterv1beta1.AgentHealthy),
		Status:             metav1.ConditionTrue,
		Reason:             clusterv1beta1.AgentHealthyReason,
		Message:            "The member cluster's API server is ready",
		ObservedGeneration: imc.Generation,
	}
	if healthErr != nil {
		healthyCond.Status, healthyCond.Reason = metav1.ConditionFalse, clusterv1beta1.AgentUnhealthyReason
		healthyCond.Message = fmt.Sprintf("The member cluster's API server is not ready: %v", healthErr)
	}
	imc.SetAgentConditions(clusterv1beta1.MemberAgent, joinedCond, healthyCond)
	imc.EnsureAgentStatus(clusterv1beta1.MemberAgent).LastReceivedHeartbeat = now
}

// reportUsage writes the cluster's properties and resource usage.
func (r *Reconciler) reportUsage(ctx context.Context, imc *clusterv1beta1.InternalMemberCluster, now metav1.Time) error {
	nodes := &corev1.NodeList{}
	if err := r.nodes.List(ctx, nodes); err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	var pods []corev1.Pod
	opts := []client.ListOption{
		client.MatchingFieldsSelector{Selector: fields.AndSelectors(
			fields.OneTermNotEqualSelector("status.phase", string(corev1.PodSucceeded)),
			fields.OneTermNotEqualSelector("status.phase", string(corev1.PodFailed)),
		)},
		client.Limit(500),
	}
	for cont := ""; ; {
		page := &corev1.PodList{}
		if err := r.pods.List(ctx, page, append(opts, client.Continue(cont))...); err != nil {
			return fmt.Errorf("listing pods: %w", err)
		}
		pods = append(pods, page.Items...)
		if cont = page.Continue; cont == "" {
			break
		}
	}
	imc.Status.Properties, imc.Status.ResourceUsage = usage(nodes.Items, pods, now)
	return nil
}

// SetupWithManager registers the heartbeat with the member cluster's manager.
// It reacts to the InternalMemberCluster's creation and spec changes (join,
// leave, period); its own status writes do not bring it back, the timer does.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	mine := predicate.NewTypedPredicateFuncs(func(imc *clusterv1beta1.InternalMemberCluster) bool {
		return imc.Namespace == r.namespace && imc.Name == r.memberName
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("heartbeat").
		WatchesRawSource(source.Kind(r.hubCache, &clusterv1beta1.InternalMemberCluster{},
			&handler.TypedEnqueueRequestForObject[*clusterv1beta1.InternalMemberCluster]{},
			mine, predicate.TypedGenerationChangedPredicate[*clusterv1beta1.InternalMemberCluster]{})).
		Complete(r)
}
