package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

var _ = Describe("A release whose pods never become ready", Ordered, func() {
	const crp, ns = "shop", "shop"

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "shop-good", "shop-bad", "shop-rollback")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
	})

	It("starts from a good release on every member", func() {
		apply(webApp(ns, "nginx:1.27"))
		apply(framework.ExternalPlacementYAML(crp, ns, framework.PickAll))
		apply(twoStages)
		Eventually(func() error {
			return hub.Get(ctx, client.ObjectKey{Name: crp + "-0-snapshot"}, &placementv1beta1.ClusterResourceSnapshot{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		apply(framework.UpdateRunYAML("shop-good", crp, "0", "two-stages"))
		waitForRun("shop-good", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
	})

	It("stops in the first stage, naming the cluster, and leaves later stages alone", func() {
		apply(webApp(ns, localfleet.NeverReadyImage))
		Eventually(func() error {
			return hub.Get(ctx, client.ObjectKey{Name: crp + "-1-snapshot"}, &placementv1beta1.ClusterResourceSnapshot{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		apply(framework.UpdateRunYAML("shop-bad", crp, "1", "two-stages"))

		waitForRun("shop-bad", placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, "UpdateRunStuck")
		Expect(runCondition(Default, "shop-bad", placementv1beta1.StagedUpdateRunConditionProgressing).Message).To(ContainSubstring("member2"))
		d := &appsv1.Deployment{}
		Expect(members["member2"].Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(localfleet.NeverReadyImage), "the bad release reached member2")
		Expect(d.Status.UpdatedReplicas).To(BeNumerically("<", *d.Spec.Replicas),
			"its rolling update never completes (the old pods keep serving)")
		for _, m := range []string{"member1", "member3"} {
			Expect(bindingSnapshot(crp, m)(Default)).To(Equal("Bound@shop-0-snapshot"), "%s stays on the good release", m)
			Expect(members[m].Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, d)).To(Succeed())
			Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("nginx:1.27"), "%s still runs the good release", m)
			Expect(deploymentOn(m, ns, "web")(Default)).To(Equal("2/2 Available=True"), m)
		}
	})

	It("recovers with a rollback run to the good snapshot", func() {
		apply(framework.UpdateRunYAML("shop-rollback", crp, "0", "two-stages"))
		waitForRun("shop-rollback", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
		for _, m := range memberNames {
			Eventually(deploymentOn(m, ns, "web")).WithTimeout(timeout).WithPolling(interval).Should(Equal("2/2 Available=True"), m)
		}
		waitForRun("shop-bad", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionFalse, "UpdateRunFailed")
	})
})
