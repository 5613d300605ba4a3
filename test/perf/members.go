package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/heartbeat"
)

// stageLabelKey is the MemberCluster label the perf strategy's stages select on.
const stageLabelKey = "stage"

// heartbeatRetry is how long a simulated member waits after a failed
// heartbeat, or before its InternalMemberCluster exists.
const heartbeatRetry = 250 * time.Millisecond

// memberName names the i-th simulated member cluster.
func memberName(i int) string { return fmt.Sprintf("member-%03d", i) }

// stageSizes splits m clusters into the stages a (10 %), b (20 %) and c (the
// rest), each with at least one cluster. m must be at least 3.
func stageSizes(m int) (a, b, c int) {
	a = max(1, int(math.Round(0.1*float64(m))))
	b = max(1, int(math.Round(0.2*float64(m))))
	return a, b, m - a - b
}

// stageOf returns the stage label of the i-th of m clusters.
func stageOf(i, m int) string {
	a, b, _ := stageSizes(m)
	switch {
	case i < a:
		return "a"
	case i < a+b:
		return "b"
	default:
		return "c"
	}
}

// createMembers creates the MemberClusters of m simulated clusters.
func createMembers(ctx context.Context, c client.Client, m int) error {
	for i := range m {
		name := memberName(i)
		mc := &clusterv1beta1.MemberCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{stageLabelKey: stageOf(i, m)}},
			Spec: clusterv1beta1.MemberClusterSpec{
				Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: localfleet.MemberIdentity(name)},
			},
		}
		if err := c.Create(ctx, mc); err != nil {
			return fmt.Errorf("creating MemberCluster %s: %w", name, err)
		}
	}
	return nil
}

// heartbeats runs the member agent's heartbeat reconciler for each simulated
// member until ctx ends: it writes the Joined and Healthy conditions, the
// heartbeat time and the capacity of one fake node into the member's
// InternalMemberCluster, exactly as pkg/memberagent/heartbeat does.
func heartbeats(ctx context.Context, hubClient client.Client, m int) *sync.WaitGroup {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1"},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")},
		},
	}
	nodes := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(node).Build()
	var wg sync.WaitGroup
	for i := range m {
		name := memberName(i)
		r := heartbeat.NewReconciler(hubClient, nil, nodes, noPods{}, healthy{}, clock.RealClock{}, name)
		req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, name), Name: name}}
		wg.Go(func() {
			for {
				wait := heartbeatRetry
				if res, err := r.Reconcile(ctx, req); err == nil && res.RequeueAfter > 0 {
					wait = res.RequeueAfter
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		})
	}
	return &wg
}

// allJoined reports whether every MemberCluster is Joined, and which is not.
func allJoined(ctx context.Context, r client.Reader, m int) (bool, string) {
	list := &clusterv1beta1.MemberClusterList{}
	if err := r.List(ctx, list); err != nil {
		return false, err.Error()
	}
	joined := 0
	pending := ""
	for _, mc := range list.Items {
		if meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined)) {
			joined++
		} else if pending == "" {
			pending = mc.Name
		}
	}
	return joined == m, fmt.Sprintf("%d/%d joined (waiting for %s)", joined, m, pending)
}

// healthy is the simulated member API server: always ready.
type healthy struct{}

func (healthy) Check(context.Context) error { return nil }

// noPods is the simulated member's pod reader: no pods run.
type noPods struct{}

func (noPods) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return fmt.Errorf("the simulated member cluster has no pods")
}

func (noPods) List(context.Context, client.ObjectList, ...client.ListOption) error { return nil }
