package placement

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// resourceSnapshot is what a test reads from one resource snapshot.
type resourceSnapshot struct {
	Labels      map[string]string
	Annotations map[string]string
	Objects     []map[string]any
}

// resourceSnapshotsOf returns the placement's resource snapshots by name.
func resourceSnapshotsOf(crp string) func(Gomega) map[string]resourceSnapshot {
	return func(g Gomega) map[string]resourceSnapshot {
		list := &placementv1beta1.ClusterResourceSnapshotList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		out := map[string]resourceSnapshot{}
		for _, s := range list.Items {
			rs := resourceSnapshot{Labels: s.Labels, Annotations: s.Annotations}
			for _, c := range s.Spec.SelectedResources {
				obj := map[string]any{}
				g.Expect(json.Unmarshal(c.Raw, &obj)).To(Succeed())
				rs.Objects = append(rs.Objects, obj)
			}
			out[s.Name] = rs
		}
		return out
	}
}

// latestOf returns "<name>: latest=<label>" for each snapshot, to follow the history.
func latestOf(crp string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		out := map[string]string{}
		for name, s := range resourceSnapshotsOf(crp)(g) {
			out[name] = s.Labels[placementv1beta1.IsLatestSnapshotLabel]
		}
		return out
	}
}

// kindsAndNames lists "Kind/namespace/name" of every object in a snapshot.
func kindsAndNames(s resourceSnapshot) []string {
	var out []string
	for _, o := range s.Objects {
		u := unstructured.Unstructured{Object: o}
		out = append(out, fmt.Sprintf("%s/%s/%s", u.GetKind(), u.GetNamespace(), u.GetName()))
	}
	return out
}

func createNamespace(name string, labels map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})).To(Succeed())
}

func createConfigMap(namespace, name string, data map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: data})).To(Succeed())
}

func setConfigMapData(namespace, name string, data map[string]string) {
	GinkgoHelper()
	Eventually(func() error {
		cm := &corev1.ConfigMap{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, cm); err != nil {
			return err
		}
		cm.Data = data
		return k8sClient.Update(ctx, cm)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

func namespacePlacement(name, namespace string, scope placementv1beta1.SelectionScope) *placementv1beta1.ClusterResourcePlacement {
	crp := newPlacement(name, &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType})
	crp.Spec.ResourceSelectors = []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: namespace, SelectionScope: scope}}
	return crp
}

var _ = Describe("The tutorial's placement", Ordered, func() {
	const crpName = "example-placement"

	BeforeAll(func() {
		createNamespace("test-namespace", nil)
		createConfigMap("test-namespace", "test-cm", map[string]string{"key": "value1"})
		Expect(k8sClient.Create(ctx, namespacePlacement(crpName, "test-namespace", ""))).To(Succeed())
	})

	It("snapshots the policy as example-placement-0, owned by the placement", func() {
		Eventually(snapshotsOf(crpName)).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"example-placement-0": "latest=true index=0 count="}))
		s := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "example-placement-0"}, s)).To(Succeed())
		Expect(s.Spec.Policy.PlacementType).To(Equal(placementv1beta1.PickAllPlacementType))
		Expect(s.Spec.PolicyHash).To(HaveLen(64))
		Expect(s.Annotations).To(HaveKeyWithValue(placementv1beta1.CRPGenerationAnnotation, "1"))
		Expect(s.OwnerReferences).To(ConsistOf(HaveField("Name", crpName)))
	})

	It("snapshots the namespace and the config map as example-placement-0-snapshot, although the strategy is External", func() {
		Eventually(resourceSnapshotsOf(crpName)).WithTimeout(timeout).WithPolling(interval).Should(HaveKey("example-placement-0-snapshot"))
		s := resourceSnapshotsOf(crpName)(Default)["example-placement-0-snapshot"]
		Expect(s.Labels).To(Equal(map[string]string{
			"kubernetes-fleet.io/is-latest-snapshot": "true",
			"kubernetes-fleet.io/parent-CRP":         crpName,
			"kubernetes-fleet.io/resource-index":     "0",
		}))
		Expect(s.Annotations).To(HaveKeyWithValue(placementv1beta1.NumberOfResourceSnapshotsAnnotation, "1"))
		Expect(s.Annotations[placementv1beta1.ResourceGroupHashAnnotation]).To(MatchRegexp("^[0-9a-f]{64}$"))
		Expect(kindsAndNames(s)).To(Equal([]string{"Namespace//test-namespace", "ConfigMap/test-namespace/test-cm"}))

		By("leaving out what the hub's API server owns")
		for _, o := range s.Objects {
			Expect(o).NotTo(HaveKey("status"))
			Expect(o["metadata"]).NotTo(HaveKey(BeElementOf("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")))
		}
		Expect(s.Objects[1]).To(HaveKeyWithValue("data", map[string]any{"key": "value1"}))
	})

	It("takes example-placement-1-snapshot when the config map is edited, and index 0 is no longer latest", func() {
		setConfigMapData("test-namespace", "test-cm", map[string]string{"key": "value2"})
		Eventually(latestOf(crpName)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			"example-placement-0-snapshot": "false",
			"example-placement-1-snapshot": "true",
		}))
		s := resourceSnapshotsOf(crpName)(Default)["example-placement-1-snapshot"]
		Expect(s.Objects[1]).To(HaveKeyWithValue("data", map[string]any{"key": "value2"}))
	})

	It("takes no new snapshot while the selected content stays the same", func() {
		update(&placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: crpName}}, func(c *placementv1beta1.ClusterResourcePlacement) {
			c.Spec.RevisionHistoryLimit = ptr.To[int32](5)
		})
		setConfigMapData("test-namespace", "test-cm", map[string]string{"key": "value2"})
		Consistently(latestOf(crpName)).WithTimeout(2 * collectionWindow * 3).WithPolling(interval).Should(HaveLen(2))
	})

	It("takes a snapshot without an object deleted from the hub", func() {
		Expect(k8sClient.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "test-namespace", Name: "test-cm"}})).To(Succeed())
		Eventually(latestOf(crpName)).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue("example-placement-2-snapshot", "true"))
		Expect(kindsAndNames(resourceSnapshotsOf(crpName)(Default)["example-placement-2-snapshot"])).To(Equal([]string{"Namespace//test-namespace"}))
	})
})

var _ = Describe("Resource selection", func() {
	It("places only the namespace with NamespaceOnly", func() {
		createNamespace("only-ns", nil)
		createConfigMap("only-ns", "left-behind", map[string]string{"a": "b"})
		Expect(k8sClient.Create(ctx, namespacePlacement("only-ns-placement", "only-ns", placementv1beta1.NamespaceOnly))).To(Succeed())
		Eventually(resourceSnapshotsOf("only-ns-placement")).WithTimeout(timeout).WithPolling(interval).Should(HaveKey("only-ns-placement-0-snapshot"))
		Expect(kindsAndNames(resourceSnapshotsOf("only-ns-placement")(Default)["only-ns-placement-0-snapshot"])).To(Equal([]string{"Namespace//only-ns"}))
	})

	It("never places what every cluster makes for itself", func() {
		const ns = "skips"
		createNamespace(ns, nil)
		createConfigMap(ns, "wanted", map[string]string{"a": "b"})
		createConfigMap(ns, "kube-root-ca.crt", map[string]string{"ca.crt": "hub"})
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "builder"}},
			Type:       corev1.SecretTypeServiceAccountToken,
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: "something-happened"},
			InvolvedObject: corev1.ObjectReference{Kind: "ConfigMap", Namespace: ns, Name: "wanted"},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hub-pod"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
		})).To(Succeed())
		owner := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "wanted"}, owner)).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: "generated",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}},
		}})).To(Succeed())

		Expect(k8sClient.Create(ctx, namespacePlacement("skips-placement", ns, ""))).To(Succeed())
		Eventually(resourceSnapshotsOf("skips-placement")).WithTimeout(timeout).WithPolling(interval).Should(HaveKey("skips-placement-0-snapshot"))
		Expect(kindsAndNames(resourceSnapshotsOf("skips-placement")(Default)["skips-placement-0-snapshot"])).To(Equal([]string{
			"Namespace//skips", "ConfigMap/skips/wanted", "ServiceAccount/skips/builder",
		}))
	})

	It("selects namespaces by label, and follows a namespace that gains the label", func() {
		createNamespace("team-a-1", map[string]string{"team": "a"})
		crp := newPlacement("team-a", &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType})
		crp.Spec.ResourceSelectors = []placementv1beta1.ResourceSelectorTerm{{
			Group: "", Version: "v1", Kind: "Namespace", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}},
		}}
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(resourceSnapshotsOf("team-a")).WithTimeout(timeout).WithPolling(interval).Should(HaveKey("team-a-0-snapshot"))
		Expect(kindsAndNames(resourceSnapshotsOf("team-a")(Default)["team-a-0-snapshot"])).To(Equal([]string{"Namespace//team-a-1"}))

		createNamespace("team-a-2", nil)
		Eventually(func() error {
			ns := &corev1.Namespace{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Name: "team-a-2"}, ns); err != nil {
				return err
			}
			ns.Labels["team"] = "a"
			return k8sClient.Update(ctx, ns)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(resourceSnapshotsOf("team-a")).WithTimeout(timeout).WithPolling(interval).Should(HaveKey("team-a-1-snapshot"))
		Expect(kindsAndNames(resourceSnapshotsOf("team-a")(Default)["team-a-1-snapshot"])).To(Equal([]string{"Namespace//team-a-1", "Namespace//team-a-2"}))
	})

	It("reports a selector of a kind the hub does not serve, and recovers once its CRD is installed", func() {
		crp := newPlacement("widgets", &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType})
		crp.Spec.ResourceSelectors = []placementv1beta1.ResourceSelectorTerm{{Group: "example.com", Version: "v1", Kind: "Widget", Name: "w1"}}
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(func(g Gomega) *metav1.Condition {
			c := &placementv1beta1.ClusterResourcePlacement{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "widgets"}, c)).To(Succeed())
			return meta.FindStatusCondition(c.Status.Conditions, string(placementv1beta1.ClusterResourcePlacementScheduled))
		}).WithTimeout(timeout).WithPolling(interval).Should(And(
			HaveField("Status", metav1.ConditionFalse),
			HaveField("Reason", placementv1beta1.PlacementInvalidResourceSelectorsReason),
			HaveField("Message", ContainSubstring(`no kind Widget in group "example.com" version "v1"`)),
		))

		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "example.com",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
				Scope: apiextensionsv1.ClusterScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: ptr.To(true),
					}},
				}},
			},
		}
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
		Expect(err).NotTo(HaveOccurred())
		u := &unstructured.Unstructured{Object: content}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		widget := &unstructured.Unstructured{}
		widget.SetAPIVersion("example.com/v1")
		widget.SetKind("Widget")
		widget.SetName("w1")
		Expect(unstructured.SetNestedField(widget.Object, "blue", "spec", "color")).To(Succeed())
		Eventually(func() error { return k8sClient.Create(ctx, widget) }).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		// The selector resolves as soon as the kind is served (an empty
		// selection until the widget exists), then the widget is snapshotted.
		var s resourceSnapshot
		Eventually(func(g Gomega) []string {
			for _, rs := range resourceSnapshotsOf("widgets")(g) {
				if rs.Labels[placementv1beta1.IsLatestSnapshotLabel] == "true" {
					s = rs
				}
			}
			return kindsAndNames(s)
		}).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{"Widget//w1"}))
		Expect(s.Objects[0]).To(HaveKeyWithValue("spec", map[string]any{"color": "blue"}))
	})

	It("refuses to select fleet's own kinds and reserved namespaces, saying why", func() {
		for name, term := range map[string]placementv1beta1.ResourceSelectorTerm{
			"select-fleet-kinds":  {Group: "cluster.kubernetes-fleet.io", Version: "v1beta1", Kind: "MemberCluster"},
			"select-kube-system":  {Group: "", Version: "v1", Kind: "Namespace", Name: "kube-system"},
			"select-a-namespaced": {Group: "", Version: "v1", Kind: "ConfigMap", Name: "x"},
		} {
			crp := newPlacement(name, nil)
			crp.Spec.ResourceSelectors = []placementv1beta1.ResourceSelectorTerm{term}
			Expect(k8sClient.Create(ctx, crp)).To(Succeed())
			Eventually(func(g Gomega) *metav1.Condition {
				c := &placementv1beta1.ClusterResourcePlacement{}
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, c)).To(Succeed())
				return meta.FindStatusCondition(c.Status.Conditions, string(placementv1beta1.ClusterResourcePlacementScheduled))
			}).WithTimeout(timeout).WithPolling(interval).Should(And(
				HaveField("Reason", placementv1beta1.PlacementInvalidResourceSelectorsReason),
				HaveField("Message", HavePrefix("resourceSelectors[0]")),
			), name)
			Expect(resourceSnapshotsOf(name)(Default)).To(BeEmpty(), name)
		}
	})

	It("keeps revisionHistoryLimit snapshot groups, dropping the oldest", func() {
		createNamespace("history", nil)
		createConfigMap("history", "cm", map[string]string{"v": "0"})
		crp := namespacePlacement("history-placement", "history", "")
		crp.Spec.RevisionHistoryLimit = ptr.To[int32](2)
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(latestOf("history-placement")).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(1))
		for i := 1; i <= 3; i++ {
			setConfigMapData("history", "cm", map[string]string{"v": fmt.Sprint(i)})
			Eventually(latestOf("history-placement")).WithTimeout(timeout).WithPolling(interval).
				Should(HaveKeyWithValue(fmt.Sprintf("history-placement-%d-snapshot", i), "true"))
		}
		Expect(latestOf("history-placement")(Default)).To(Equal(map[string]string{
			"history-placement-2-snapshot": "false",
			"history-placement-3-snapshot": "true",
		}))
	})

	It("splits a selection over 800 KB into a master and sub-snapshots", func() {
		createNamespace("big", nil)
		for i := range 3 {
			createConfigMap("big", fmt.Sprintf("blob-%d", i), map[string]string{"data": strings.Repeat(fmt.Sprint(i), 400*1024)})
		}
		Expect(k8sClient.Create(ctx, namespacePlacement("big-placement", "big", ""))).To(Succeed())
		Eventually(latestOf("big-placement")).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(3))
		snapshots := resourceSnapshotsOf("big-placement")(Default)
		Expect(snapshots).To(HaveKey("big-placement-0-snapshot"))
		Expect(snapshots).To(HaveKey("big-placement-0-0"))
		Expect(snapshots).To(HaveKey("big-placement-0-1"))
		Expect(snapshots["big-placement-0-snapshot"].Annotations).To(HaveKeyWithValue(placementv1beta1.NumberOfResourceSnapshotsAnnotation, "3"))
		Expect(snapshots["big-placement-0-1"].Annotations).To(HaveKeyWithValue(placementv1beta1.SubindexOfResourceSnapshotAnnotation, "1"))
		var all []string
		for _, name := range []string{"big-placement-0-snapshot", "big-placement-0-0", "big-placement-0-1"} {
			Expect(snapshots[name].Labels).To(HaveKeyWithValue(placementv1beta1.ResourceIndexLabel, "0"))
			all = append(all, kindsAndNames(snapshots[name])...)
		}
		Expect(all).To(Equal([]string{"Namespace//big", "ConfigMap/big/blob-0", "ConfigMap/big/blob-1", "ConfigMap/big/blob-2"}))
	})

	It("removes the resource snapshots with the placement", func() {
		createNamespace("goes-away", nil)
		crp := namespacePlacement("goes-away-placement", "goes-away", "")
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(latestOf("goes-away-placement")).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(1))
		Expect(k8sClient.Delete(ctx, crp)).To(Succeed())
		Eventually(latestOf("goes-away-placement")).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: crp.Name}, &placementv1beta1.ClusterResourcePlacement{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Satisfy(apierrors.IsNotFound))
	})
})
