package rollout

import (
	"fmt"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var clusters = []string{"member-1", "member-2", "member-3", "member-4"}

// createPlacement creates a placement of the tutorial's namespace with the given strategy.
func createPlacement(name string, strategy placementv1beta1.RolloutStrategy) {
	GinkgoHelper()
	crp := &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
			Strategy:          strategy,
		},
	}
	Expect(k8sClient.Create(ctx, crp)).To(Succeed())
}

// rollingUpdate is a RollingUpdate strategy with the given limits.
func rollingUpdate(maxUnavailable, maxSurge intstr.IntOrString) placementv1beta1.RolloutStrategy {
	return placementv1beta1.RolloutStrategy{
		Type:          placementv1beta1.RollingUpdateRolloutStrategyType,
		RollingUpdate: &placementv1beta1.RollingUpdateConfig{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge},
	}
}

func snapshotName(crp string, index int) string {
	return fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)
}

// createLatestSnapshot does what the placement controller does when the
// selected resources change: the current latest group steps down, then the
// master snapshot of group index (one ConfigMap whose data holds the index)
// is created as the latest.
func createLatestSnapshot(crp string, index int) {
	GinkgoHelper()
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
	for i := range list.Items {
		s := &list.Items[i]
		s.Labels[placementv1beta1.IsLatestSnapshotLabel] = "false"
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
	}
	cm := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"test-cm","namespace":"test-namespace"},"data":{"version":"%d"}}`, index)
	s := &placementv1beta1.ClusterResourceSnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: snapshotName(crp, index),
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: crp,
				placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
			Annotations: map[string]string{
				placementv1beta1.ResourceGroupHashAnnotation:         fmt.Sprintf("hash-%d", index),
				placementv1beta1.NumberOfResourceSnapshotsAnnotation: "1",
			},
		},
		Spec: placementv1beta1.ResourceSnapshotSpec{SelectedResources: []placementv1beta1.ResourceContent{
			{RawExtension: runtime.RawExtension{Raw: []byte(cm)}},
		}},
	}
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
}

func bindingName(crp, cluster string) string {
	return crp + "-" + cluster
}

// createBinding does what the scheduler does for a picked cluster: a
// Scheduled binding with nothing to place yet.
func createBinding(crp, cluster string) {
	GinkgoHelper()
	b := &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:   bindingName(crp, cluster),
			Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: crp},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        placementv1beta1.BindingStateScheduled,
			SchedulingPolicySnapshotName: crp + "-0",
			TargetCluster:                cluster,
			ClusterDecision:              placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by the test"},
		},
	}
	Expect(k8sClient.Create(ctx, b)).To(Succeed())
}

// updateBinding applies mutate to the binding (its status too when status
// is set), retrying on conflicts with the controller.
func updateBinding(name string, status bool, mutate func(*placementv1beta1.ClusterResourceBinding)) {
	GinkgoHelper()
	Eventually(func() error {
		b := &placementv1beta1.ClusterResourceBinding{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, b); err != nil {
			return err
		}
		mutate(b)
		if status {
			return k8sClient.Status().Update(ctx, b)
		}
		return k8sClient.Update(ctx, b)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// reportAvailable does what the work generator does once the resources of
// the binding's current generation are available on its cluster.
func reportAvailable(name string) {
	GinkgoHelper()
	updateBinding(name, true, func(b *placementv1beta1.ClusterResourceBinding) {
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
			Type:               string(placementv1beta1.ResourceBindingAvailable),
			Status:             metav1.ConditionTrue,
			Reason:             placementv1beta1.BindingAllWorkAvailableReason,
			ObservedGeneration: b.Generation,
		})
	})
}

// unschedule does what the scheduler does with a cluster it no longer picks.
func unschedule(name string) {
	GinkgoHelper()
	updateBinding(name, false, func(b *placementv1beta1.ClusterResourceBinding) {
		if b.Annotations == nil {
			b.Annotations = map[string]string{}
		}
		b.Annotations[placementv1beta1.PreviousBindingStateAnnotation] = string(b.Spec.State)
		b.Spec.State = placementv1beta1.BindingStateUnscheduled
	})
}

// bindingsOf returns, per cluster, what a user reads on the placement's
// bindings: state, snapshot and the RolloutStarted condition, marked "(stale)"
// when it was written for an older generation.
func bindingsOf(crp string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		list := &placementv1beta1.ClusterResourceBindingList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		out := map[string]string{}
		for _, b := range list.Items {
			started := "-"
			if c := b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted)); c != nil {
				started = fmt.Sprintf("%s/%s", c.Status, c.Reason)
				if c.ObservedGeneration != b.Generation {
					started += "(stale)"
				}
			}
			out[b.Spec.TargetCluster] = fmt.Sprintf("%s %q %s", b.Spec.State, b.Spec.ResourceSnapshotName, started)
		}
		return out
	}
}

// boundTo is what bindingsOf shows for a cluster bound to snapshot with the
// rollout started at its current generation.
func boundTo(snapshot string) string {
	return fmt.Sprintf("%s %q %s/%s", placementv1beta1.BindingStateBound, snapshot, metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason)
}

// heldOn is what bindingsOf shows for a cluster the rolling update keeps on
// snapshot for now.
func heldOn(snapshot string) string {
	return fmt.Sprintf("%s %q %s/%s", placementv1beta1.BindingStateBound, snapshot, metav1.ConditionFalse, placementv1beta1.BindingRolloutNotStartedYetReason)
}

// untouched is what bindingsOf shows for a Scheduled binding no rollout has touched.
var untouched = fmt.Sprintf("%s %q -", placementv1beta1.BindingStateScheduled, "")

// allBoundTo is bindingsOf for every cluster bound to snapshot.
func allBoundTo(snapshot string) map[string]string {
	out := map[string]string{}
	for _, c := range clusters {
		out[c] = boundTo(snapshot)
	}
	return out
}

// startPlacement creates a placement with its first snapshot and one
// Scheduled binding per cluster, waits for every cluster to be bound, and
// reports every cluster available.
func startPlacement(crp string, strategy placementv1beta1.RolloutStrategy) {
	GinkgoHelper()
	createPlacement(crp, strategy)
	createLatestSnapshot(crp, 0)
	for _, c := range clusters {
		createBinding(crp, c)
	}
	Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(allBoundTo(snapshotName(crp, 0))))
	for _, c := range clusters {
		reportAvailable(bindingName(crp, c))
	}
}
