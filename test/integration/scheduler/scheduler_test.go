package scheduler

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("The scheduler", func() {
	It("schedules the tutorial's PickAll placement on its three member clusters", func() {
		createJoinedCluster("member1", map[string]string{"environment": "canary", "order": "2"})
		createJoinedCluster("member2", map[string]string{"environment": "staging"})
		createJoinedCluster("member3", map[string]string{"environment": "canary", "order": "1"})
		createPlacement("example-placement", &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType})

		By("creating one Scheduled binding per cluster, and no more")
		Eventually(bindingsOf("example-placement")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			"member1": "Scheduled", "member2": "Scheduled", "member3": "Scheduled",
		}))
		Consistently(func(g Gomega) []placementv1beta1.ClusterResourceBinding {
			return listBindings(g, "example-placement")
		}).WithTimeout(settle).WithPolling(interval).Should(HaveLen(3))
		for _, b := range listBindings(Default, "example-placement") {
			Expect(b.Name).To(MatchRegexp(`^example-placement-%s-[0-9a-f]{8}$`, b.Spec.TargetCluster))
			Expect(b.Finalizers).To(ConsistOf(placementv1beta1.SchedulerBindingCleanupFinalizer, placementv1beta1.WorkFinalizer))
			Expect(b.Spec.SchedulingPolicySnapshotName).To(Equal("example-placement-0"))
			Expect(b.Spec.ResourceSnapshotName).To(BeEmpty())
			Expect(b.Spec.ClusterDecision).To(And(HaveField("ClusterName", b.Spec.TargetCluster), HaveField("Selected", true)))
		}

		By("reporting the policy as fulfilled for placement generation 1")
		Eventually(scheduledCondition("example-placement-0")).WithTimeout(timeout).WithPolling(interval).
			Should(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PolicySnapshotFulfilledReason))
		s := policySnapshot(Default, "example-placement-0")
		Expect(s.Status.ObservedCRPGeneration).To(Equal(int64(1)))
		Expect(scheduledCondition("example-placement-0")(Default).ObservedGeneration).To(Equal(s.Generation))
		Expect(decisionsOf("example-placement-0")(Default)).To(Equal(map[string]bool{"member1": true, "member2": true, "member3": true}))

		By("showing SCHEDULED True and SCHEDULED-GEN 1 on the placement, as the tutorial prints")
		Eventually(func(g Gomega) *metav1.Condition {
			crp := &placementv1beta1.ClusterResourcePlacement{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "example-placement"}, crp)).To(Succeed())
			g.Expect(crp.Finalizers).To(ContainElement(placementv1beta1.SchedulerCleanupFinalizer))
			return crp.GetCondition(string(placementv1beta1.ClusterResourcePlacementScheduled))
		}).WithTimeout(timeout).WithPolling(interval).Should(And(
			haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PolicySnapshotFulfilledReason),
			HaveField("ObservedGeneration", int64(1)),
		))
	})

	It("picks the N best scoring clusters, and scales without a new policy snapshot", func() {
		createJoinedCluster("pickn-1", map[string]string{specLabel: "pickn", "environment": "canary"})
		createJoinedCluster("pickn-2", map[string]string{specLabel: "pickn", "environment": "staging", "tier": "gold"})
		createJoinedCluster("pickn-3", map[string]string{specLabel: "pickn", "environment": "canary"})
		affinity := onlySpecClusters("pickn")
		affinity.ClusterAffinity.PreferredDuringSchedulingIgnoredDuringExecution = []placementv1beta1.PreferredClusterSelector{
			{Weight: 20, Preference: placementv1beta1.ClusterSelectorTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "canary"}}}},
			{Weight: 30, Preference: placementv1beta1.ClusterSelectorTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}}},
		}
		createPlacement("pickn", &placementv1beta1.PlacementPolicy{
			PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To[int32](2), Affinity: affinity,
		})

		By("picking pickn-2 (score 30) and pickn-1 (score 20, before pickn-3 by name)")
		Eventually(bindingsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-1": "Scheduled", "pickn-2": "Scheduled"}))
		Expect(bindingFor(Default, "pickn", "pickn-2").Spec.ClusterDecision.ClusterScore.AffinityScore).To(HaveValue(Equal(int32(30))))
		Eventually(scheduledCondition("pickn-0")).WithTimeout(timeout).WithPolling(interval).
			Should(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PolicySnapshotFulfilledReason))

		By("scaling down to 1, unscheduling the lowest score")
		updatePlacement("pickn", func(c *placementv1beta1.ClusterResourcePlacement) { c.Spec.Policy.NumberOfClusters = ptr.To[int32](1) })
		Eventually(bindingsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-1": "Unscheduled (was Scheduled)", "pickn-2": "Scheduled"}))
		Eventually(decisionsOf("pickn-0")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]bool{"pickn-1": false, "pickn-2": true, "pickn-3": false}))
		Expect(snapshotNamesOf("pickn")(Default)).To(ConsistOf("pickn-0"))

		By("scaling up to 3, bringing the Unscheduled binding back instead of creating another")
		unscheduled := bindingFor(Default, "pickn", "pickn-1").Name
		updatePlacement("pickn", func(c *placementv1beta1.ClusterResourcePlacement) { c.Spec.Policy.NumberOfClusters = ptr.To[int32](3) })
		Eventually(bindingsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-1": "Scheduled", "pickn-2": "Scheduled", "pickn-3": "Scheduled"}))
		Expect(bindingFor(Default, "pickn", "pickn-1").Name).To(Equal(unscheduled))

		By("asking for more clusters than there are, reporting the policy as unfulfilled")
		updatePlacement("pickn", func(c *placementv1beta1.ClusterResourcePlacement) { c.Spec.Policy.NumberOfClusters = ptr.To[int32](4) })
		Eventually(scheduledCondition("pickn-0")).WithTimeout(timeout).WithPolling(interval).Should(And(
			haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.PolicySnapshotUnfulfilledReason),
			HaveField("Message", HavePrefix("Picked 3 of the 4 member clusters the policy asks for")),
		))
		Expect(snapshotNamesOf("pickn")(Default)).To(ConsistOf("pickn-0"))
	})

	It("places a PickFixed placement on the named clusters that exist, and names the missing one", func() {
		createJoinedCluster("fixed-1", map[string]string{specLabel: "fixed"})
		createPlacement("fixed", &placementv1beta1.PlacementPolicy{
			PlacementType: placementv1beta1.PickFixedPlacementType, ClusterNames: []string{"fixed-1", "fixed-2"},
		})

		Eventually(bindingsOf("fixed")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{"fixed-1": "Scheduled"}))
		Eventually(scheduledCondition("fixed-0")).WithTimeout(timeout).WithPolling(interval).Should(And(
			haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.PolicySnapshotUnfulfilledReason),
			HaveField("Message", ContainSubstring("fixed-2 (cluster not found)")),
		))
		Expect(decisionsOf("fixed-0")(Default)).To(Equal(map[string]bool{"fixed-1": true, "fixed-2": false}))

		By("creating the missing cluster")
		createJoinedCluster("fixed-2", map[string]string{specLabel: "fixed"})
		Eventually(bindingsOf("fixed")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"fixed-1": "Scheduled", "fixed-2": "Scheduled"}))
		Eventually(scheduledCondition("fixed-0")).WithTimeout(timeout).WithPolling(interval).
			Should(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PolicySnapshotFulfilledReason))
	})

	It("unschedules clusters that leave and picks clusters that join", func() {
		createJoinedCluster("leave-1", map[string]string{specLabel: "leave"})
		createJoinedCluster("leave-2", map[string]string{specLabel: "leave"})
		createPlacement("leave", &placementv1beta1.PlacementPolicy{Affinity: onlySpecClusters("leave")})
		Eventually(bindingsOf("leave")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"leave-1": "Scheduled", "leave-2": "Scheduled"}))

		By("binding leave-1 as a rollout would, then deleting its MemberCluster")
		updateBinding("leave", "leave-1", func(b *placementv1beta1.ClusterResourceBinding) {
			b.Spec.State = placementv1beta1.BindingStateBound
			b.Spec.ResourceSnapshotName = "leave-0-snapshot"
		})
		deleteAndWait(&clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: "leave-1"}})
		Eventually(bindingsOf("leave")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"leave-1": "Unscheduled (was Bound)", "leave-2": "Scheduled"}))
		Expect(bindingFor(Default, "leave", "leave-1").Spec.ResourceSnapshotName).To(Equal("leave-0-snapshot"))

		By("leave-2's agent leaving the fleet")
		setClusterConditions("leave-2", metav1.ConditionFalse, metav1.ConditionUnknown)
		Eventually(bindingsOf("leave")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"leave-1": "Unscheduled (was Bound)", "leave-2": "Unscheduled (was Scheduled)"}))

		By("a new cluster joining")
		createJoinedCluster("leave-3", map[string]string{specLabel: "leave"})
		Eventually(bindingsOf("leave")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{
			"leave-1": "Unscheduled (was Bound)", "leave-2": "Unscheduled (was Scheduled)", "leave-3": "Scheduled",
		}))
		Eventually(decisionsOf("leave-0")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]bool{"leave-3": true}))
		Expect(snapshotNamesOf("leave")(Default)).To(ConsistOf("leave-0"))
	})

	It("keeps NoSchedule-tainted clusters for placements that tolerate the taint", func() {
		createJoinedCluster("taint-1", map[string]string{specLabel: "taint"})
		createJoinedCluster("taint-2", map[string]string{specLabel: "taint"}, noScheduleTaint("gpu", "a100"))
		createPlacement("intolerant", &placementv1beta1.PlacementPolicy{Affinity: onlySpecClusters("taint")})
		createPlacement("tolerant", &placementv1beta1.PlacementPolicy{
			Affinity:    onlySpecClusters("taint"),
			Tolerations: []placementv1beta1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}},
		})

		Eventually(bindingsOf("intolerant")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{"taint-1": "Scheduled"}))
		Eventually(bindingsOf("tolerant")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"taint-1": "Scheduled", "taint-2": "Scheduled"}))

		By("tainting an already picked cluster, which does not evict it")
		updateCluster("taint-1", func(mc *clusterv1beta1.MemberCluster) {
			mc.Spec.Taints = append(mc.Spec.Taints, noScheduleTaint("maintenance", ""))
		})
		Consistently(bindingsOf("intolerant")).WithTimeout(settle).WithPolling(interval).Should(Equal(map[string]string{"taint-1": "Scheduled"}))
		Expect(bindingFor(Default, "intolerant", "taint-1").Spec.ClusterDecision.Reason).To(ContainSubstring("maintenance:NoSchedule"))

		By("a tainted cluster joining, which is not picked")
		createJoinedCluster("taint-3", map[string]string{specLabel: "taint"}, noScheduleTaint("maintenance", ""))
		Consistently(bindingsOf("tolerant")).WithTimeout(settle).WithPolling(interval).
			Should(Equal(map[string]string{"taint-1": "Scheduled", "taint-2": "Scheduled"}))
	})

	It("picks only clusters matching the required affinity, and re-checks it under a new policy", func() {
		createJoinedCluster("aff-1", map[string]string{specLabel: "affinity", "environment": "canary"})
		createJoinedCluster("aff-2", map[string]string{specLabel: "affinity", "environment": "staging"})
		canary := &metav1.LabelSelector{MatchLabels: map[string]string{specLabel: "affinity", "environment": "canary"}}
		createPlacement("canary-only", &placementv1beta1.PlacementPolicy{Affinity: &placementv1beta1.Affinity{ClusterAffinity: &placementv1beta1.ClusterAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &placementv1beta1.ClusterSelector{
				ClusterSelectorTerms: []placementv1beta1.ClusterSelectorTerm{{LabelSelector: canary}},
			},
		}}})
		Eventually(bindingsOf("canary-only")).WithTimeout(timeout).WithPolling(interval).Should(Equal(map[string]string{"aff-1": "Scheduled"}))

		By("relabelling aff-2 as canary, which gets it picked")
		updateCluster("aff-2", func(mc *clusterv1beta1.MemberCluster) { mc.Labels["environment"] = "canary" })
		Eventually(bindingsOf("canary-only")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"aff-1": "Scheduled", "aff-2": "Scheduled"}))

		By("relabelling aff-1 as staging, which does not evict it under the same policy")
		updateCluster("aff-1", func(mc *clusterv1beta1.MemberCluster) { mc.Labels["environment"] = "staging" })
		Consistently(bindingsOf("canary-only")).WithTimeout(settle).WithPolling(interval).
			Should(Equal(map[string]string{"aff-1": "Scheduled", "aff-2": "Scheduled"}))

		By("changing the policy to staging, which moves the picks")
		updatePlacement("canary-only", func(c *placementv1beta1.ClusterResourcePlacement) {
			c.Spec.Policy.Affinity.ClusterAffinity.RequiredDuringSchedulingIgnoredDuringExecution.ClusterSelectorTerms[0].LabelSelector.MatchLabels["environment"] = "staging"
		})
		Eventually(bindingsOf("canary-only")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"aff-1": "Scheduled", "aff-2": "Unscheduled (was Scheduled)"}))
		Eventually(func(g Gomega) string {
			return bindingFor(g, "canary-only", "aff-1").Spec.SchedulingPolicySnapshotName
		}).WithTimeout(timeout).WithPolling(interval).Should(Equal("canary-only-1"))
		Eventually(scheduledCondition("canary-only-1")).WithTimeout(timeout).WithPolling(interval).
			Should(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PolicySnapshotFulfilledReason))
	})

	It("deletes a deleted placement's bindings, waiting for other finalizers before letting the placement go", func() {
		createJoinedCluster("del-1", map[string]string{specLabel: "delete"})
		createJoinedCluster("del-2", map[string]string{specLabel: "delete"})
		crp := createPlacement("short-lived", &placementv1beta1.PlacementPolicy{Affinity: onlySpecClusters("delete")})
		Eventually(bindingsOf("short-lived")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"del-1": "Scheduled", "del-2": "Scheduled"}))

		By("giving del-2's binding a Work its member agent still holds, then deleting the placement")
		del2 := bindingFor(Default, "short-lived", "del-2")
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fleet-member-del-2"}})).To(Succeed())
		work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{
			Name: "short-lived-work", Namespace: "fleet-member-del-2",
			Labels:     map[string]string{placementv1beta1.ParentBindingLabel: del2.Name, placementv1beta1.PlacementTrackingLabel: "short-lived"},
			Finalizers: []string{placementv1beta1.WorkFinalizer},
		}}
		Expect(k8sClient.Create(ctx, work)).To(Succeed())
		Expect(k8sClient.Delete(ctx, crp)).To(Succeed())
		Eventually(func(g Gomega) {
			bindings := listBindings(g, "short-lived")
			g.Expect(bindings).To(HaveLen(1))
			g.Expect(bindings[0].Spec.TargetCluster).To(Equal("del-2"))
			g.Expect(bindings[0].DeletionTimestamp).NotTo(BeNil())
			g.Expect(bindings[0].Finalizers).To(ConsistOf(placementv1beta1.WorkFinalizer))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: "short-lived"}, &placementv1beta1.ClusterResourcePlacement{})
		}).WithTimeout(settle).WithPolling(interval).Should(Succeed())

		By("the member agent letting go of the Work, and the work generator of the binding")
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(work), work)).To(Succeed())
			g.Expect(work.DeletionTimestamp).NotTo(BeNil())
			controllerutil.RemoveFinalizer(work, placementv1beta1.WorkFinalizer)
			g.Expect(k8sClient.Update(ctx, work)).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(func(g Gomega) []placementv1beta1.ClusterResourceBinding {
			return listBindings(g, "short-lived")
		}).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
		Eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(crp), &placementv1beta1.ClusterResourcePlacement{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Satisfy(apierrors.IsNotFound))
	})
})
