package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("Manifests the member cluster rejects", Ordered, func() {
	const namespace, work = "failures", "failures-work"
	widget := object{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w", "namespace": namespace}}
	good := configMapManifest(namespace, "good", map[string]string{"key": "v1"})
	orphan := configMapManifest("does-not-exist", "orphan", map[string]string{"key": "v1"})

	It("are reported ManifestApplyFailed with the API server's message, the rest is applied", func() {
		createWork(member1, work, nil, namespaceManifest(namespace), good, orphan, widget)

		Eventually(func(g Gomega) {
			for _, ordinal := range []int{0, 1} {
				mc := manifestCondition(g, member1, work, ordinal)
				g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeApplied)).
					To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
			}
			orphanCond := conditionIn(manifestCondition(g, member1, work, 2).Conditions, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(orphanCond).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason))
			g.Expect(orphanCond.Message).To(ContainSubstring(`namespaces "does-not-exist" not found`))

			widgetCond := conditionIn(manifestCondition(g, member1, work, 3).Conditions, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(widgetCond).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason))
			g.Expect(widgetCond.Message).To(ContainSubstring(`no matches for kind "Widget" in version "example.com/v1"`))

			applied := workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(applied).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
			g.Expect(applied.Message).To(ContainSubstring("2 of 4 manifests are applied"))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeAvailable)).To(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(configMapOn(Default, member1, namespace, "good")).NotTo(BeNil())
	})

	It("keep the object applied before when an update is rejected, and delete nothing", func() {
		invalid := configMapManifest(namespace, "good", map[string]string{"not a valid key!": "v2"})
		updateWork(member1, work, namespaceManifest(namespace), invalid, orphan, widget)

		Eventually(func(g Gomega) {
			c := conditionIn(manifestCondition(g, member1, work, 1).Conditions, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(c).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason))
			g.Expect(c.Message).To(ContainSubstring("a valid config key must consist of alphanumeric characters"))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			cm := configMapOn(g, member1, namespace, "good")
			g.Expect(cm).NotTo(BeNil())
			g.Expect(cm.Data).To(Equal(map[string]string{"key": "v1"}))
			g.Expect(member1.client.Get(ctx, k8stypes.NamespacedName{Name: namespace}, ns(namespace))).To(Succeed())
			g.Expect(appliedWorkOn(g, member1, work).Status.AppliedResources).To(HaveLen(2))
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())
	})

	It("are applied once the member can take them", func() {
		createOnMember(member1, ns("does-not-exist"))
		Eventually(func(g Gomega) {
			c := conditionIn(manifestCondition(g, member1, work, 2).Conditions, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(c).To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
			g.Expect(configMapOn(g, member1, "does-not-exist", "orphan")).NotTo(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
