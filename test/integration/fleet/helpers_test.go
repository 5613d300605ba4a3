package fleet

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// configMapOn reads a ConfigMap on a member cluster; nil when it does not exist.
func configMapOn(g Gomega, m *member, namespace, name string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{}
	err := m.client.Get(ctx, k8stypes.NamespacedName{Namespace: namespace, Name: name}, cm)
	if apierrors.IsNotFound(err) {
		return nil
	}
	g.Expect(err).NotTo(HaveOccurred())
	return cm
}

// namespaceOn reports whether a namespace exists on a member cluster.
func namespaceOn(g Gomega, m *member, name string) bool {
	err := m.client.Get(ctx, k8stypes.NamespacedName{Name: name}, &corev1.Namespace{})
	if apierrors.IsNotFound(err) {
		return false
	}
	g.Expect(err).NotTo(HaveOccurred())
	return true
}

// valueOnEveryMember passes once test-cm in test-namespace holds key=value on
// every member cluster.
func valueOnEveryMember(value string) func(Gomega) {
	return func(g Gomega) {
		for _, m := range members {
			cm := configMapOn(g, m, "test-namespace", "test-cm")
			g.Expect(cm).NotTo(BeNil(), "test-cm is not on %s", m.name)
			g.Expect(cm.Data).To(Equal(map[string]string{"key": value}), "test-cm on %s", m.name)
		}
	}
}

// approve approves an approval request with the tutorial's kubectl patch
// (with the outer quotes SPEC.md restores).
func approve(name string) {
	GinkgoHelper()
	out := kubectl("", "patch", "clusterapprovalrequests", name, "--type=merge", "-p",
		`{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm","lastTransitionTime":"`+
			time.Now().UTC().Format("2006-01-02T15:04:05Z")+`","observedGeneration":1}]}}`, "--subresource=status")
	Expect(out).To(ContainSubstring("clusterapprovalrequest.placement.kubernetes-fleet.io/" + name + " patched"))
}

func getCRP(g Gomega, name string) *placementv1beta1.ClusterResourcePlacement {
	crp := &placementv1beta1.ClusterResourcePlacement{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Name: name}, crp)).To(Succeed())
	return crp
}

func getRun(g Gomega, name string) *placementv1beta1.ClusterStagedUpdateRun {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Name: name}, run)).To(Succeed())
	return run
}

// bindingOf returns the placement's binding to cluster.
func bindingOf(g Gomega, crp, cluster string) *placementv1beta1.ClusterResourceBinding {
	list := &placementv1beta1.ClusterResourceBindingList{}
	g.Expect(hubClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
	for i := range list.Items {
		if list.Items[i].Spec.TargetCluster == cluster {
			return &list.Items[i]
		}
	}
	g.Expect(list.Items).To(ContainElement(HaveField("Spec.TargetCluster", cluster)), "no binding of %s to %s", crp, cluster)
	return nil
}

// workOf returns the Work the work generator wrote for the placement in m's
// hub namespace.
func workOf(g Gomega, crp string, m *member) *placementv1beta1.Work {
	work := &placementv1beta1.Work{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Namespace: m.namespace, Name: crp + "-work"}, work)).To(Succeed())
	return work
}

// perCluster returns the placement's status for cluster.
func perCluster(g Gomega, crp *placementv1beta1.ClusterResourcePlacement, cluster string) placementv1beta1.PerClusterPlacementStatus {
	for _, pc := range crp.Status.PerClusterPlacementStatuses {
		if pc.ClusterName == cluster {
			return pc
		}
	}
	g.Expect(crp.Status.PerClusterPlacementStatuses).To(ContainElement(HaveField("ClusterName", cluster)), "no status for %s", cluster)
	return placementv1beta1.PerClusterPlacementStatus{}
}

// currentCondition returns the condition of type t when it was written for
// generation, nil otherwise.
func currentCondition(conds []metav1.Condition, t string, generation int64) *metav1.Condition {
	c := meta.FindStatusCondition(conds, t)
	if c == nil || c.ObservedGeneration != generation {
		return nil
	}
	return c
}

// haveStatusAndReason matches a condition pointer.
func haveStatusAndReason(status metav1.ConditionStatus, reason string) types.GomegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}
