package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// appliedOn waits until the Work is applied on the member.
func appliedOn(m *member, work string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		g.Expect(workCondition(g, m, work, placementv1beta1.WorkConditionTypeApplied)).
			To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason))
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

var _ = Describe("Changes made on the member cluster to what Fleet applied", func() {
	It("are undone with whenToApply Always", func() {
		const namespace, work = "drift-always", "drift-always-work"
		createWork(member1, work, nil, namespaceManifest(namespace), configMapManifest(namespace, "cm", map[string]string{"key": "hub"}))
		appliedOn(member1, work)

		editConfigMapOnMember(member1, namespace, "cm", "key", "edited")
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, namespace, "cm").Data).To(HaveKeyWithValue("key", "hub"))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		appliedOn(member1, work)
	})

	It("are reported and kept with whenToApply IfNotDrifted, until the hub sends a new manifest", func() {
		const namespace, work = "drift-ifnotdrifted", "drift-ifnotdrifted-work"
		createWork(member1, work, &placementv1beta1.ApplyStrategy{WhenToApply: placementv1beta1.WhenToApplyTypeIfNotDrifted},
			namespaceManifest(namespace), configMapManifest(namespace, "cm", map[string]string{"key": "hub"}))
		appliedOn(member1, work)

		editConfigMapOnMember(member1, namespace, "cm", "key", "edited")
		Eventually(func(g Gomega) {
			mc := manifestCondition(g, member1, work, 1)
			g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestFoundDriftsReason))
			g.Expect(mc.DriftDetails).NotTo(BeNil())
			g.Expect(mc.DriftDetails.ObservedDrifts).To(Equal([]placementv1beta1.PatchDetail{
				{Path: "/data/key", ValueInHub: "hub", ValueInMember: "edited"},
			}))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(configMapOn(g, member1, namespace, "cm").Data).To(HaveKeyWithValue("key", "edited"))
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())

		// A new manifest from the hub is applied over the drift.
		updateWork(member1, work, namespaceManifest(namespace), configMapManifest(namespace, "cm", map[string]string{"key": "hub-v2"}))
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, namespace, "cm").Data).To(HaveKeyWithValue("key", "hub-v2"))
			mc := manifestCondition(g, member1, work, 1)
			g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
			g.Expect(mc.DriftDetails).To(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		appliedOn(member1, work)
	})
})
