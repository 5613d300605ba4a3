package scheduler

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// specLabel marks the member clusters of one spec; specs select their own
// clusters with it, as clusters are shared by the whole suite.
const specLabel = "scheduler-test/spec"

// createJoinedCluster creates a MemberCluster that has joined and is
// healthy, as the member cluster controller would report, and deletes it
// when the spec ends.
func createJoinedCluster(name string, labels map[string]string, taints ...clusterv1beta1.Taint) {
	GinkgoHelper()
	mc := &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
			Taints:   taints,
		},
	}
	Expect(k8sClient.Create(ctx, mc)).To(Succeed())
	DeferCleanup(func() { deleteAndWait(&clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name}}) })
	setClusterConditions(name, metav1.ConditionTrue, metav1.ConditionTrue)
}

// setClusterConditions writes a member cluster's Joined and Healthy conditions.
func setClusterConditions(name string, joined, healthy metav1.ConditionStatus) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		mc.SetConditions(
			metav1.Condition{Type: string(clusterv1beta1.ConditionTypeMemberClusterJoined), Status: joined, Reason: "Test", ObservedGeneration: mc.Generation},
			metav1.Condition{Type: string(clusterv1beta1.ConditionTypeMemberClusterHealthy), Status: healthy, Reason: "Test", ObservedGeneration: mc.Generation},
		)
		g.Expect(k8sClient.Status().Update(ctx, mc)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// updateCluster changes a member cluster's metadata or spec.
func updateCluster(name string, mutate func(*clusterv1beta1.MemberCluster)) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		mutate(mc)
		g.Expect(k8sClient.Update(ctx, mc)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// createPlacement creates an External placement of the tutorial's namespace
// with the given policy, and deletes it (with its bindings) when the spec ends.
func createPlacement(name string, policy *placementv1beta1.PlacementPolicy) *placementv1beta1.ClusterResourcePlacement {
	GinkgoHelper()
	crp := &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
			Policy:            policy,
			Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
		},
	}
	Expect(k8sClient.Create(ctx, crp)).To(Succeed())
	DeferCleanup(func() {
		deleteAndWait(&placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: name}})
		Eventually(bindingsOf(name)).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
	})
	return crp
}

// updatePlacement changes a placement's spec.
func updatePlacement(name string, mutate func(*placementv1beta1.ClusterResourcePlacement)) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		crp := &placementv1beta1.ClusterResourcePlacement{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, crp)).To(Succeed())
		mutate(crp)
		g.Expect(k8sClient.Update(ctx, crp)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// deleteAndWait deletes an object and waits until it is gone.
func deleteAndWait(obj client.Object) {
	GinkgoHelper()
	Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
	Eventually(func() error {
		return k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	}).WithTimeout(timeout).WithPolling(interval).Should(Satisfy(apierrors.IsNotFound))
}

// listBindings returns the bindings of a placement.
func listBindings(g Gomega, crp string) []placementv1beta1.ClusterResourceBinding {
	list := &placementv1beta1.ClusterResourceBindingList{}
	g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
	return list.Items
}

// bindingsOf returns, per target cluster, the state of the placement's
// binding, with the previous state of an Unscheduled one
// ("Unscheduled (was Bound)"). It fails on two bindings for one cluster.
func bindingsOf(crp string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		out := map[string]string{}
		for _, b := range listBindings(g, crp) {
			if !b.DeletionTimestamp.IsZero() {
				continue
			}
			g.Expect(out).NotTo(HaveKey(b.Spec.TargetCluster), "two bindings for cluster %s", b.Spec.TargetCluster)
			state := string(b.Spec.State)
			if prev, ok := b.Annotations[placementv1beta1.PreviousBindingStateAnnotation]; ok {
				state = fmt.Sprintf("%s (was %s)", state, prev)
			}
			out[b.Spec.TargetCluster] = state
		}
		return out
	}
}

// bindingFor returns the placement's binding for a cluster.
func bindingFor(g Gomega, crp, cluster string) *placementv1beta1.ClusterResourceBinding {
	var found *placementv1beta1.ClusterResourceBinding
	bindings := listBindings(g, crp)
	for i := range bindings {
		if bindings[i].Spec.TargetCluster == cluster && bindings[i].DeletionTimestamp.IsZero() {
			found = &bindings[i]
		}
	}
	g.Expect(found).NotTo(BeNil(), "no binding of %s for cluster %s", crp, cluster)
	return found
}

// updateBinding changes the placement's binding for a cluster, as a rollout would.
func updateBinding(crp, cluster string, mutate func(*placementv1beta1.ClusterResourceBinding)) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		b := bindingFor(g, crp, cluster)
		mutate(b)
		g.Expect(k8sClient.Update(ctx, b)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// policySnapshot reads a scheduling policy snapshot.
func policySnapshot(g Gomega, name string) *placementv1beta1.ClusterSchedulingPolicySnapshot {
	s := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, s)).To(Succeed())
	return s
}

// scheduledCondition returns the Scheduled condition of a policy snapshot.
func scheduledCondition(name string) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		return meta.FindStatusCondition(policySnapshot(g, name).Status.Conditions, string(placementv1beta1.PolicySnapshotScheduled))
	}
}

// decisionsOf returns a policy snapshot's decisions as cluster -> picked.
func decisionsOf(name string) func(Gomega) map[string]bool {
	return func(g Gomega) map[string]bool {
		out := map[string]bool{}
		for _, d := range policySnapshot(g, name).Status.ClusterDecisions {
			out[d.ClusterName] = d.Selected
		}
		return out
	}
}

// snapshotNamesOf lists the names of a placement's policy snapshots.
func snapshotNamesOf(crp string) func(Gomega) []string {
	return func(g Gomega) []string {
		list := &placementv1beta1.ClusterSchedulingPolicySnapshotList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		var names []string
		for _, s := range list.Items {
			names = append(names, s.Name)
		}
		return names
	}
}

func haveStatusAndReason(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

func noScheduleTaint(key, value string) clusterv1beta1.Taint {
	return clusterv1beta1.Taint{Key: key, Value: value, Effect: corev1.TaintEffectNoSchedule}
}

// onlySpecClusters is a required affinity that keeps a PickAll placement to
// the clusters of one spec.
func onlySpecClusters(spec string) *placementv1beta1.Affinity {
	return &placementv1beta1.Affinity{ClusterAffinity: &placementv1beta1.ClusterAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &placementv1beta1.ClusterSelector{
			ClusterSelectorTerms: []placementv1beta1.ClusterSelectorTerm{{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{specLabel: spec}}}},
		},
	}}
}
