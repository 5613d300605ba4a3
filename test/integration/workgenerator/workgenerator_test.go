package workgenerator

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("Work generator", func() {
	var crp, cluster string

	BeforeEach(func() {
		crp, cluster = specNames()
		createCluster(cluster)
	})

	It("places a bound binding's snapshot on its cluster and reports the member's progress", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm", "other-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)

		By("writing <placement>-work into the member's namespace, and saying so once the member agent is late to report")
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm", "other-cm")...),
		}))
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(beingApplied))
		Expect(controllerutil.ContainsFinalizer(getBinding(Default, b), placementv1beta1.WorkFinalizer)).To(BeTrue())

		By("reporting the binding applied and available once the member agent says so")
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))
		Expect(getBinding(Default, b).Status.FailedPlacements).To(BeEmpty())
	})

	It("reports a member's quick answer together with WorkSynchronized, in one status write", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		seen := watchConditions(b)
		setRolloutStarted(b, metav1.ConditionTrue)

		By("answering as soon as the Work is written, well within the work generator's wait")
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))

		By("never showing the Work synchronized but not applied yet")
		Eventually(seen).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(3))
		Expect(seen()).To(Equal([]map[string]string{
			{},
			{string(placementv1beta1.ResourceBindingRolloutStarted): rolloutStarted},
			appliedAndReported,
		}))
	})

	It("under the External strategy, places what the update run bound and says the rollout started with the member's report, in one status write", func() {
		createPlacement(crp, placementv1beta1.ExternalRolloutStrategyType)
		createSnapshot(crp, 0, -1, 1, "test-cm")
		bound := newBoundBinding(crp, cluster, 0, nil)
		bound.Annotations = map[string]string{placementv1beta1.BindingUpdateRunAnnotation: "example-run"}
		b := createBinding(bound)
		seen := watchConditions(b)

		By("writing the Work without RolloutStarted from anyone else")
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))
		// The watch may deliver the write after a read has shown it.
		Eventually(seen).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(2))
		Expect(seen()).To(Equal([]map[string]string{{}, appliedAndReported}))
		binding := getBinding(Default, b)
		Expect(binding.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted))).To(And(
			HaveField("ObservedGeneration", binding.Generation),
			HaveField("Message", "Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: 0, updateRun: example-run"),
		))

		By("placing a new generation the run binds, naming the new run")
		createSnapshot(crp, 1, -1, 1, "test-cm")
		updateBinding(b, false, func(binding *placementv1beta1.ClusterResourceBinding) {
			binding.Spec.ResourceSnapshotName = masterName(crp, 1)
			binding.Annotations[placementv1beta1.BindingUpdateRunAnnotation] = "example-run-2"
		})
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue(crp+"-work",
			expectedWork(b, crp, 1, "", manifestsAt(1, "test-cm")...)))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(func(g Gomega) *metav1.Condition {
			return getBinding(g, b).GetCondition(string(placementv1beta1.ResourceBindingAvailable))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveField("ObservedGeneration", getBinding(Default, b).Generation))
		Expect(getBinding(Default, b).GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted))).To(
			HaveField("Message", HaveSuffix("resourceSnapshotIndex: 1, updateRun: example-run-2")))
	})

	It("under the RollingUpdate strategy, waits for the rollout controller's RolloutStarted", func() {
		createPlacement(crp, placementv1beta1.RollingUpdateRolloutStrategyType)
		createSnapshot(crp, 0, -1, 1, "test-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		Eventually(func(g Gomega) bool {
			return controllerutil.ContainsFinalizer(getBinding(g, b), placementv1beta1.WorkFinalizer)
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		Consistently(workNames(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(BeEmpty())

		By("placing it once the placement turns External")
		Eventually(func(g Gomega) {
			p := &placementv1beta1.ClusterResourcePlacement{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: crp}, p)).To(Succeed())
			p.Spec.Strategy.Type = placementv1beta1.ExternalRolloutStrategyType
			g.Expect(k8sClient.Update(ctx, p)).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))
	})

	It("waits for the rollout to decide about the binding's generation", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm")
		createSnapshot(crp, 1, -1, 1, "test-cm")
		b := createBoundBinding(crp, cluster, 0, nil)

		By("writing nothing while RolloutStarted is missing")
		Eventually(func(g Gomega) bool {
			return controllerutil.ContainsFinalizer(getBinding(g, b), placementv1beta1.WorkFinalizer)
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		Consistently(workNames(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(BeEmpty())

		By("placing the snapshot once the rollout started")
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue(crp+"-work",
			expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm")...)))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))

		By("keeping the Work when the spec changes and RolloutStarted is about an older generation")
		updateBinding(b, false, func(binding *placementv1beta1.ClusterResourceBinding) {
			binding.Spec.ResourceSnapshotName = masterName(crp, 1)
		})
		Consistently(worksOf(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(HaveKeyWithValue(crp+"-work",
			expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm")...)))

		By("keeping the Work, and saying so, while the rollout holds the binding back")
		setRolloutStarted(b, metav1.ConditionFalse)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutNotStarted,
			string(placementv1beta1.ResourceBindingOverridden):       noOverride,
			string(placementv1beta1.ResourceBindingWorkSynchronized): workNotSyncedYet,
		}))
		Consistently(worksOf(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(HaveKeyWithValue(crp+"-work",
			expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm")...)))
	})

	It("moves the Work to the snapshot the binding is switched to", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm")
		createSnapshot(crp, 1, -1, 1, "test-cm", "new-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))

		bindTo(b, crp, 1)
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 1, "", manifestsAt(1, "test-cm", "new-cm")...),
		}))
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(beingApplied))

		By("reporting the new version applied only once the member reports on the Work's new generation")
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))
	})

	It("writes one Work per snapshot of a group, once the group is complete", func() {
		createSnapshot(crp, 0, -1, 3, "cm-a")
		createSnapshot(crp, 0, 0, 0, "cm-b")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)

		By("waiting for the last sub-snapshot")
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue(
			string(placementv1beta1.ResourceBindingWorkSynchronized), workNotSyncedYet))
		Consistently(workNames(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(BeEmpty())

		createSnapshot(crp, 0, 1, 0, "cm-c", "cm-d")
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 0, "", manifestsAt(0, "cm-a")...),
			crp + "-0":    expectedWork(b, crp, 0, "", manifestsAt(0, "cm-b")...),
			crp + "-1":    expectedWork(b, crp, 0, "", manifestsAt(0, "cm-c", "cm-d")...),
		}))

		By("reporting Applied only when every Work is applied")
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		reportWork(cluster, crp+"-1", appliedAndAvailable)
		Consistently(conditionsOf(b)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(beingApplied))
		Expect(conditionOf(b, placementv1beta1.ResourceBindingApplied)(Default).Message).To(ContainSubstring(crp + "-0"))
		reportWork(cluster, crp+"-0", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))

		By("deleting the Works of sub-snapshots the next group does not have")
		createSnapshot(crp, 1, -1, 1, "cm-a")
		bindTo(b, crp, 1)
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 1, "", manifestsAt(1, "cm-a")...),
		}))
	})

	It("shows a manifest the member failed to apply on the binding", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm", "bad-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))

		failure := metav1.Condition{
			Type: string(placementv1beta1.WorkConditionTypeApplied), Status: metav1.ConditionFalse,
			Reason: placementv1beta1.ManifestApplyFailedReason, Message: "admission webhook denied the request", ObservedGeneration: 1,
			LastTransitionTime: metav1.Now(),
		}
		reportWork(cluster, crp+"-work", func(w *placementv1beta1.Work) {
			w.SetConditions(workCondition(w, placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
			ok := workCondition(w, placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason)
			w.Status.ManifestConditions = []placementv1beta1.ManifestCondition{
				{Identifier: placementv1beta1.WorkResourceIdentifier{Ordinal: 0, Version: "v1", Kind: "ConfigMap", Namespace: "test-namespace", Name: "test-cm"}, Conditions: []metav1.Condition{ok}},
				{Identifier: placementv1beta1.WorkResourceIdentifier{Ordinal: 1, Version: "v1", Kind: "ConfigMap", Namespace: "test-namespace", Name: "bad-cm"}, Conditions: []metav1.Condition{failure}},
			}
		})

		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutStarted,
			string(placementv1beta1.ResourceBindingOverridden):       noOverride,
			string(placementv1beta1.ResourceBindingWorkSynchronized): workSynced,
			string(placementv1beta1.ResourceBindingApplied):          notAllApplied,
		}))
		Expect(conditionOf(b, placementv1beta1.ResourceBindingApplied)(Default).Message).To(Equal(
			"Work object " + crp + "-work has failed to apply: ConfigMap test-namespace/bad-cm (ManifestApplyFailed: admission webhook denied the request)"))
		failed := getBinding(Default, b).Status.FailedPlacements
		Expect(failed).To(HaveLen(1))
		Expect(failed[0].ResourceIdentifier).To(Equal(placementv1beta1.ResourceIdentifier{Version: "v1", Kind: "ConfigMap", Namespace: "test-namespace", Name: "bad-cm"}))
		Expect(failed[0].Condition.Reason).To(Equal(placementv1beta1.ManifestApplyFailedReason))
		Expect(failed[0].Condition.Message).To(Equal("admission webhook denied the request"))
	})

	It("deletes the Works of a deleted binding and lets the binding go once they are gone", func() {
		createSnapshot(crp, 0, -1, 2, "test-cm")
		createSnapshot(crp, 0, 0, 0, "other-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-0", crp + "-work"}))
		for _, w := range []string{crp + "-work", crp + "-0"} {
			updateWork(cluster, w, func(w *placementv1beta1.Work) { controllerutil.AddFinalizer(w, placementv1beta1.WorkFinalizer) })
		}

		Expect(k8sClient.Delete(ctx, &placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Name: b}})).To(Succeed())
		Eventually(func(g Gomega) {
			list := &placementv1beta1.WorkList{}
			g.Expect(k8sClient.List(ctx, list, client.InNamespace(memberNamespace(cluster)))).To(Succeed())
			g.Expect(list.Items).To(HaveLen(2))
			for _, w := range list.Items {
				g.Expect(w.DeletionTimestamp.IsZero()).To(BeFalse(), "Work %s is not being deleted", w.Name)
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("keeping the binding while the member agent still holds a Work")
		updateWork(cluster, crp+"-work", func(w *placementv1beta1.Work) { controllerutil.RemoveFinalizer(w, placementv1beta1.WorkFinalizer) })
		Consistently(func(g Gomega) []string { return getBinding(g, b).Finalizers }).WithTimeout(holdFor).WithPolling(interval).
			Should(ContainElement(placementv1beta1.WorkFinalizer))

		updateWork(cluster, crp+"-0", func(w *placementv1beta1.Work) { controllerutil.RemoveFinalizer(w, placementv1beta1.WorkFinalizer) })
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: b}, &placementv1beta1.ClusterResourceBinding{})
		}).WithTimeout(timeout).WithPolling(interval).Should(MatchError(ContainSubstring("not found")))
		Expect(workNames(cluster)(Default)).To(BeEmpty())
	})

	It("keeps the Works of an Unscheduled binding until its cluster leaves", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm")
		b := createBoundBinding(crp, cluster, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{crp + "-work"}))
		reportWork(cluster, crp+"-work", appliedAndAvailable)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(appliedAndReported))

		By("keeping the Work when the scheduler lets the cluster go")
		updateBinding(b, false, func(binding *placementv1beta1.ClusterResourceBinding) {
			binding.Spec.State = placementv1beta1.BindingStateUnscheduled
		})
		Consistently(worksOf(cluster)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm")...),
		}))
		Expect(conditionOf(b, placementv1beta1.ResourceBindingAvailable)(Default).Status).To(Equal(metav1.ConditionTrue))

		By("deleting the Work when the cluster leaves the fleet")
		Expect(k8sClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}})).To(Succeed())
		Eventually(workNames(cluster)).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
		Expect(getBinding(Default, b).DeletionTimestamp.IsZero()).To(BeTrue())
	})

	It("reports a missing member cluster and places once it joins", func() {
		_, absent := specNames()
		createSnapshot(crp, 0, -1, 1, "test-cm")
		b := createBoundBinding(crp, absent, 0, nil)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue(
			string(placementv1beta1.ResourceBindingWorkSynchronized), syncFailed))
		Expect(conditionOf(b, placementv1beta1.ResourceBindingWorkSynchronized)(Default).Message).To(ContainSubstring(`MemberCluster "` + absent + `" does not exist`))

		createCluster(absent)
		Eventually(worksOf(absent)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 0, "", manifestsAt(0, "test-cm")...),
		}))
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(beingApplied))
	})

	It("reports diffs instead of applying under ReportDiff", func() {
		createSnapshot(crp, 0, -1, 1, "test-cm")
		strategy := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeReportDiff}
		b := createBoundBinding(crp, cluster, 0, strategy)
		setRolloutStarted(b, metav1.ConditionTrue)
		Eventually(worksOf(cluster)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]*workView{
			crp + "-work": expectedWork(b, crp, 0, placementv1beta1.ApplyStrategyTypeReportDiff, manifestsAt(0, "test-cm")...),
		}))
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutStarted,
			string(placementv1beta1.ResourceBindingOverridden):       noOverride,
			string(placementv1beta1.ResourceBindingWorkSynchronized): workSynced,
			string(placementv1beta1.ResourceBindingDiffReported):     diffInProgress,
		}))

		now := metav1.Now()
		reportWork(cluster, crp+"-work", func(w *placementv1beta1.Work) {
			w.SetConditions(workCondition(w, placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsDiffReportedReason))
			w.Status.ManifestConditions = []placementv1beta1.ManifestCondition{{
				Identifier: placementv1beta1.WorkResourceIdentifier{Ordinal: 0, Version: "v1", Kind: "ConfigMap", Namespace: "test-namespace", Name: "test-cm"},
				Conditions: []metav1.Condition{workCondition(w, placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.ManifestFoundDiffReason)},
				DiffDetails: &placementv1beta1.DiffDetails{
					ObservationTime: now, FirstDiffedObservedTime: now,
					ObservedDiffs: []placementv1beta1.PatchDetail{{Path: "/data/version", ValueInMember: "edited", ValueInHub: "0"}},
				},
			}}
		})
		Eventually(conditionsOf(b)).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutStarted,
			string(placementv1beta1.ResourceBindingOverridden):       noOverride,
			string(placementv1beta1.ResourceBindingWorkSynchronized): workSynced,
			string(placementv1beta1.ResourceBindingDiffReported):     allDiffReported,
		}))
		diffed := getBinding(Default, b).Status.DiffedPlacements
		Expect(diffed).To(HaveLen(1))
		Expect(diffed[0].Name).To(Equal("test-cm"))
		Expect(diffed[0].ObservedDiffs).To(Equal([]placementv1beta1.PatchDetail{{Path: "/data/version", ValueInMember: "edited", ValueInHub: "0"}}))
	})
})
