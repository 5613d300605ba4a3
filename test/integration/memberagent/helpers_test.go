package memberagent

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// object is a manifest as the work generator writes it.
type object map[string]any

func namespaceManifest(name string) object {
	return object{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}
}

func configMapManifest(namespace, name string, data map[string]string) object {
	return object{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": namespace}, "data": data}
}

func manifests(objs ...object) []placementv1beta1.Manifest {
	GinkgoHelper()
	out := make([]placementv1beta1.Manifest, 0, len(objs))
	for _, o := range objs {
		raw, err := json.Marshal(o)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, placementv1beta1.Manifest{RawExtension: runtime.RawExtension{Raw: raw}})
	}
	return out
}

// createWork writes a Work into m's hub namespace, as the work generator does.
func createWork(m *member, name string, strategy *placementv1beta1.ApplyStrategy, objs ...object) {
	GinkgoHelper()
	work := &placementv1beta1.Work{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.namespace},
		Spec: placementv1beta1.WorkSpec{
			Workload:      placementv1beta1.WorkloadTemplate{Manifests: manifests(objs...)},
			ApplyStrategy: strategy,
		},
	}
	Expect(hubClient.Create(ctx, work)).To(Succeed())
}

// updateWork replaces a Work's manifests and returns its new generation.
func updateWork(m *member, name string, objs ...object) int64 {
	GinkgoHelper()
	var gen int64
	Eventually(func(g Gomega) {
		work := getWork(g, m, name)
		work.Spec.Workload.Manifests = manifests(objs...)
		g.Expect(hubClient.Update(ctx, work)).To(Succeed())
		gen = work.Generation
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	return gen
}

func deleteWork(m *member, name string) {
	GinkgoHelper()
	work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.namespace}}
	Expect(client.IgnoreNotFound(hubClient.Delete(ctx, work))).To(Succeed())
}

func getWork(g Gomega, m *member, name string) *placementv1beta1.Work {
	work := &placementv1beta1.Work{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Namespace: m.namespace, Name: name}, work)).To(Succeed())
	return work
}

// workIsGone passes once the Work no longer exists on the hub.
func workIsGone(m *member, name string) func(Gomega) {
	return func(g Gomega) {
		err := hubClient.Get(ctx, k8stypes.NamespacedName{Namespace: m.namespace, Name: name}, &placementv1beta1.Work{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Work %s/%s still exists (%v)", m.namespace, name, err)
	}
}

// workCondition returns a condition of a Work at the Work's current
// generation, or nil (absent, or at another generation).
func workCondition(g Gomega, m *member, name string, t placementv1beta1.WorkConditionType) *metav1.Condition {
	work := getWork(g, m, name)
	c := meta.FindStatusCondition(work.Status.Conditions, string(t))
	if c == nil || c.ObservedGeneration != work.Generation {
		return nil
	}
	return c
}

// manifestCondition returns the status entry of a Work's manifest.
func manifestCondition(g Gomega, m *member, name string, ordinal int) placementv1beta1.ManifestCondition {
	work := getWork(g, m, name)
	for _, mc := range work.Status.ManifestConditions {
		if mc.Identifier.Ordinal == ordinal {
			return mc
		}
	}
	g.Expect(work.Status.ManifestConditions).To(ContainElement(HaveField("Identifier.Ordinal", ordinal)), "no status for manifest %d", ordinal)
	return placementv1beta1.ManifestCondition{}
}

func conditionIn(conds []metav1.Condition, t placementv1beta1.WorkConditionType) *metav1.Condition {
	return meta.FindStatusCondition(conds, string(t))
}

// haveStatusAndReason matches a condition pointer.
func haveStatusAndReason(status metav1.ConditionStatus, reason string) types.GomegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

// configMapOn reads a ConfigMap on the member cluster; nil when it does not exist.
func configMapOn(g Gomega, m *member, namespace, name string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{}
	err := m.client.Get(ctx, k8stypes.NamespacedName{Namespace: namespace, Name: name}, cm)
	if apierrors.IsNotFound(err) {
		return nil
	}
	g.Expect(err).NotTo(HaveOccurred())
	return cm
}

// createOnMember creates objects directly on the member cluster, as a user there would.
func createOnMember(m *member, objs ...client.Object) {
	GinkgoHelper()
	for _, o := range objs {
		Expect(m.client.Create(ctx, o)).To(Succeed())
	}
}

// editConfigMapOnMember changes a key of a ConfigMap on the member cluster,
// as someone with kubectl edit would.
func editConfigMapOnMember(m *member, namespace, name, key, value string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		cm := configMapOn(g, m, namespace, name)
		g.Expect(cm).NotTo(BeNil())
		cm.Data[key] = value
		g.Expect(m.client.Update(ctx, cm, client.FieldOwner("kubectl-edit"))).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

func ns(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func configMap(namespace, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: data}
}

// ownedByAppliedWork matches objects that carry an owner reference to the AppliedWork name.
func ownedByAppliedWork(name string) types.GomegaMatcher {
	return HaveField("ObjectMeta.OwnerReferences", ContainElement(And(
		HaveField("Kind", placementv1beta1.AppliedWorkKind),
		HaveField("Name", name),
	)))
}

func appliedWorkOn(g Gomega, m *member, name string) *placementv1beta1.AppliedWork {
	aw := &placementv1beta1.AppliedWork{}
	err := m.client.Get(ctx, k8stypes.NamespacedName{Name: name}, aw)
	if apierrors.IsNotFound(err) {
		return nil
	}
	g.Expect(err).NotTo(HaveOccurred())
	return aw
}
