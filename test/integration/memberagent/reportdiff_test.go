package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("A Work with the ReportDiff apply strategy", func() {
	It("applies nothing and reports how the member differs from the manifests", func() {
		const namespace, work = "reportdiff", "reportdiff-work"
		createOnMember(member1, ns(namespace), configMap(namespace, "existing", map[string]string{"key": "mine"}))
		createWork(member1, work, &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeReportDiff},
			configMapManifest(namespace, "existing", map[string]string{"key": "hub"}),
			configMapManifest(namespace, "missing", map[string]string{"key": "hub"}))

		Eventually(func(g Gomega) {
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeDiffReported)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsDiffReportedReason))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)).To(BeNil())

			existing := manifestCondition(g, member1, work, 0)
			g.Expect(conditionIn(existing.Conditions, placementv1beta1.WorkConditionTypeDiffReported)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestFoundDiffReason))
			g.Expect(conditionIn(existing.Conditions, placementv1beta1.WorkConditionTypeApplied)).To(BeNil())
			g.Expect(existing.DiffDetails).NotTo(BeNil())
			g.Expect(existing.DiffDetails.ObservedDiffs).To(Equal([]placementv1beta1.PatchDetail{
				{Path: "/data/key", ValueInHub: "hub", ValueInMember: "mine"},
			}))

			missing := manifestCondition(g, member1, work, 1)
			g.Expect(conditionIn(missing.Conditions, placementv1beta1.WorkConditionTypeDiffReported)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestFoundDiffReason))
			g.Expect(missing.DiffDetails).NotTo(BeNil())
			g.Expect(missing.DiffDetails.ObservedInMemberClusterGeneration).To(BeNil())
			g.Expect(missing.DiffDetails.ObservedDiffs).To(Equal([]placementv1beta1.PatchDetail{
				{Path: "/", ValueInHub: "(the whole object)"},
			}))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(configMapOn(g, member1, namespace, "missing")).To(BeNil())
			existing := configMapOn(g, member1, namespace, "existing")
			g.Expect(existing.Data).To(Equal(map[string]string{"key": "mine"}))
			g.Expect(existing.OwnerReferences).To(BeEmpty())
			g.Expect(existing.Annotations).To(BeEmpty())
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())

		// The member is brought in line by hand: the report follows.
		editConfigMapOnMember(member1, namespace, "existing", "key", "hub")
		Eventually(func(g Gomega) {
			existing := manifestCondition(g, member1, work, 0)
			g.Expect(conditionIn(existing.Conditions, placementv1beta1.WorkConditionTypeDiffReported)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestNoDiffFoundReason))
			g.Expect(existing.DiffDetails).To(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
