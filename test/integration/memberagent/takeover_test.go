package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("Objects that already exist on the member cluster", func() {
	It("are left alone and reported NotTakenOver with whenToTakeOver Never", func() {
		const namespace, work = "takeover-never", "takeover-never-work"
		createOnMember(member1, ns(namespace), configMap(namespace, "existing", map[string]string{"key": "mine"}))
		createWork(member1, work, &placementv1beta1.ApplyStrategy{WhenToTakeOver: placementv1beta1.WhenToTakeOverTypeNever},
			configMapManifest(namespace, "existing", map[string]string{"key": "hub"}))

		Eventually(func(g Gomega) {
			mc := manifestCondition(g, member1, work, 0)
			g.Expect(conditionIn(mc.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestNotTakenOverReason))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeAvailable)).To(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			cm := configMapOn(g, member1, namespace, "existing")
			g.Expect(cm.Data).To(Equal(map[string]string{"key": "mine"}))
			g.Expect(cm.OwnerReferences).To(BeEmpty())
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())

		deleteWork(member1, work)
		Eventually(workIsGone(member1, work)).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(configMapOn(Default, member1, namespace, "existing")).NotTo(BeNil(), "deleting the Work removed an object Fleet never owned")
	})

	It("are taken over with IfNoDiff only once they match the manifest, differences reported until then", func() {
		const namespace, work = "takeover-ifnodiff", "takeover-ifnodiff-work"
		createOnMember(member1, ns(namespace),
			configMap(namespace, "differs", map[string]string{"key": "mine"}),
			configMap(namespace, "matches", map[string]string{"key": "hub"}))
		createWork(member1, work, &placementv1beta1.ApplyStrategy{WhenToTakeOver: placementv1beta1.WhenToTakeOverTypeIfNoDiff},
			configMapManifest(namespace, "differs", map[string]string{"key": "hub"}),
			configMapManifest(namespace, "matches", map[string]string{"key": "hub"}))

		Eventually(func(g Gomega) {
			differs := manifestCondition(g, member1, work, 0)
			g.Expect(conditionIn(differs.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.ManifestFailedToTakeOverReason))
			g.Expect(differs.DiffDetails).NotTo(BeNil())
			g.Expect(differs.DiffDetails.ObservedDiffs).To(Equal([]placementv1beta1.PatchDetail{
				{Path: "/data/key", ValueInHub: "hub", ValueInMember: "mine"},
			}))
			matches := manifestCondition(g, member1, work, 1)
			g.Expect(conditionIn(matches.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
			g.Expect(configMapOn(g, member1, namespace, "matches")).To(ownedByAppliedWork(work))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(configMapOn(Default, member1, namespace, "differs").Data).To(HaveKeyWithValue("key", "mine"))

		// Someone on the member makes it match: the agent notices and takes it over.
		editConfigMapOnMember(member1, namespace, "differs", "key", "hub")
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member1, namespace, "differs")).To(ownedByAppliedWork(work))
			differs := manifestCondition(g, member1, work, 0)
			g.Expect(conditionIn(differs.Conditions, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))
			g.Expect(differs.DiffDetails).To(BeNil())
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeAvailable)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("are overwritten and taken over by default", func() {
		const namespace, work = "takeover-always", "takeover-always-work"
		createOnMember(member1, ns(namespace), configMap(namespace, "existing", map[string]string{"key": "mine", "extra": "kept"}))
		createWork(member1, work, nil, configMapManifest(namespace, "existing", map[string]string{"key": "hub"}))

		Eventually(func(g Gomega) {
			cm := configMapOn(g, member1, namespace, "existing")
			g.Expect(cm.Data).To(Equal(map[string]string{"key": "hub", "extra": "kept"}))
			g.Expect(cm).To(ownedByAppliedWork(work))
			g.Expect(workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
