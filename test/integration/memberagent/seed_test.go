package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
)

// The tutorial's resources, as the work generator puts them in a Work.
const (
	seedWork      = "example-placement-work"
	seedNamespace = "test-namespace"
	seedConfigMap = "test-cm"
)

func seedManifests(value string) []object {
	return []object{
		namespaceManifest(seedNamespace),
		configMapManifest(seedNamespace, seedConfigMap, map[string]string{"key": value}),
	}
}

var _ = Describe("The seed's Namespace and ConfigMap on member1", Ordered, func() {
	It("creates them, owned by the Work's AppliedWork, and reports Applied and Available at the Work's generation", func() {
		createWork(member1, seedWork, nil, seedManifests("value1")...)

		Eventually(func(g Gomega) {
			cm := configMapOn(g, member1, seedNamespace, seedConfigMap)
			g.Expect(cm).NotTo(BeNil())
			g.Expect(cm.Data).To(Equal(map[string]string{"key": "value1"}))
			g.Expect(cm).To(ownedByAppliedWork(seedWork))
			g.Expect(cm.ManagedFields).To(ContainElement(HaveField("Manager", applier.FieldManager)))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(workCondition(g, member1, seedWork, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason))
			g.Expect(workCondition(g, member1, seedWork, placementv1beta1.WorkConditionTypeAvailable)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason))
			for ordinal, kind := range []string{"Namespace", "ConfigMap"} {
				mc := manifestCondition(g, member1, seedWork, ordinal)
				g.Expect(mc.Identifier).To(And(HaveField("Kind", kind), HaveField("Version", "v1")))
				g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeApplied)).
					To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
				g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeAvailable)).
					To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason))
			}
			g.Expect(getWork(g, member1, seedWork).Finalizers).To(ContainElement(placementv1beta1.WorkFinalizer))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		Eventually(func(g Gomega) {
			aw := appliedWorkOn(g, member1, seedWork)
			g.Expect(aw).NotTo(BeNil())
			g.Expect(aw.Spec).To(Equal(placementv1beta1.AppliedWorkSpec{WorkName: seedWork, WorkNamespace: member1.namespace}))
			g.Expect(aw.Status.AppliedResources).To(ConsistOf(
				HaveField("WorkResourceIdentifier", placementv1beta1.WorkResourceIdentifier{Ordinal: 0, Version: "v1", Kind: "Namespace", Resource: "namespaces", Name: seedNamespace}),
				HaveField("WorkResourceIdentifier", placementv1beta1.WorkResourceIdentifier{Ordinal: 1, Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: seedNamespace, Name: seedConfigMap}),
			))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("changes the member's data when the Work carries value2", func() {
		gen := updateWork(member1, seedWork, seedManifests("value2")...)
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, seedNamespace, seedConfigMap).Data).To(HaveKeyWithValue("key", "value2"))
			applied := workCondition(g, member1, seedWork, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(applied).To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason))
			g.Expect(applied.ObservedGeneration).To(Equal(gen))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("deletes the ConfigMap when it leaves the Work, and nothing it did not create", func() {
		// A user's own ConfigMap in the placed namespace is not Fleet's.
		createOnMember(member1, configMap(seedNamespace, "users-own", map[string]string{"a": "b"}))
		updateWork(member1, seedWork, namespaceManifest(seedNamespace))

		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, seedNamespace, seedConfigMap)).To(BeNil())
			g.Expect(workCondition(g, member1, seedWork, placementv1beta1.WorkConditionTypeAvailable)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason))
			g.Expect(appliedWorkOn(g, member1, seedWork).Status.AppliedResources).To(HaveLen(1))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(configMapOn(g, member1, seedNamespace, "users-own")).NotTo(BeNil())
			g.Expect(member1.client.Get(ctx, k8stypes.NamespacedName{Name: seedNamespace}, ns(seedNamespace))).To(Succeed())
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())
	})

	It("removes what the Work created and the AppliedWork when the Work is deleted", func() {
		updateWork(member1, seedWork, seedManifests("value2")...)
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, seedNamespace, seedConfigMap)).NotTo(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		deleteWork(member1, seedWork)
		Eventually(workIsGone(member1, seedWork)).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(appliedWorkOn(g, member1, seedWork)).To(BeNil())
			g.Expect(configMapOn(g, member1, seedNamespace, seedConfigMap)).To(BeNil())
			// envtest runs no namespace controller: the namespace stays Terminating.
			namespace := ns(seedNamespace)
			err := member1.client.Get(ctx, k8stypes.NamespacedName{Name: seedNamespace}, namespace)
			g.Expect(apierrors.IsNotFound(err) || !namespace.DeletionTimestamp.IsZero()).To(BeTrue(), "namespace %s is not being deleted", seedNamespace)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
