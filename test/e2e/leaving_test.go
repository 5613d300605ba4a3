package e2e

import (
	"time"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

var _ = Describe("A member leaving the fleet mid-run", Ordered, func() {
	const crp, ns, leaver = "roaming", "roaming", "member2"
	// canaryFirst updates both canary members, waits, then staging: member2
	// leaves while the run waits between the stages.
	const canaryFirst = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: canary-first
spec:
  stages:
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      maxConcurrency: 2
      afterStageTasks:
        - type: TimedWait
          waitTime: 15s
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
`

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "roaming-run")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
		rejoin(leaver)
	})

	It("skips the member that left, finishes the run, and lets the member join again", func() {
		apply(configApp(ns, "v1"))
		apply(framework.ExternalPlacementYAML(crp, ns, framework.PickAll))
		apply(canaryFirst)
		waitForSnapshot(crp, 0)
		apply(framework.UpdateRunYAML("roaming-run", crp, "0", "canary-first"))
		for _, m := range []string{"member1", "member3"} {
			Eventually(onMember(m, ns, "settings")).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue("key", "v1"), m)
		}
		Expect(bindingSnapshot(crp, leaver)(Default)).To(Equal("Scheduled@"), "the staging stage has not started")

		By("deleting member2's MemberCluster while the canary stage waits")
		Expect(kubectl("", "delete", "membercluster", leaver)).To(ContainSubstring(`"` + leaver + `" deleted`))
		waitForRun("roaming-run", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")

		run := &placementv1beta1.ClusterStagedUpdateRun{}
		Expect(hub.Get(ctx, client.ObjectKey{Name: "roaming-run"}, run)).To(Succeed())
		Expect(run.Status.StagesStatus).To(HaveLen(2))
		staging := run.Status.StagesStatus[1]
		Expect(staging.Clusters).To(ConsistOf(HaveField("ClusterName", leaver)))
		skipped := meta.FindStatusCondition(staging.Clusters[0].Conditions, string(placementv1beta1.ClusterUpdatingConditionSucceeded))
		Expect(skipped).NotTo(BeNil())
		Expect(skipped.Status).To(Equal(metav1.ConditionTrue))
		Expect(skipped.Reason).To(Equal(placementv1beta1.ClusterUpdatingSkippedReason), skipped.Message)
		Expect(skipped.Message).To(ContainSubstring(leaver))
		Expect(meta.FindStatusCondition(staging.Clusters[0].Conditions, string(placementv1beta1.ClusterUpdatingConditionStarted))).
			To(BeNil(), "the run never started updating the member that left")
		Expect(configMapData(Default, leaver, ns, "settings")).To(BeNil(), "nothing reached the member that left")
		for _, m := range []string{"member1", "member3"} {
			Expect(configMapData(Default, m, ns, "settings")).To(HaveKeyWithValue("key", "v1"), m)
		}
	})
})

// rejoin creates a member's MemberCluster again, as the local fleet did, and
// waits until its agent, which kept running, has joined it to the fleet.
func rejoin(member string) {
	GinkgoHelper()
	var labels map[string]string
	for _, m := range fleet.Members {
		if m.Name == member {
			labels = m.Labels
		}
	}
	Eventually(func() error {
		return hub.Get(ctx, client.ObjectKey{Name: member}, &clusterv1beta1.MemberCluster{})
	}).WithTimeout(timeout).WithPolling(interval).Should(WithTransform(apierrors.IsNotFound, BeTrue()),
		"the member cluster controller removes the old MemberCluster once the member has left")
	Expect(hub.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: member, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: localfleet.MemberIdentity(member)},
		},
	})).To(Succeed())
	Eventually(func() string {
		return kubectl("", "get", "membercluster", member, "-o", `jsonpath={.status.conditions[?(@.type=="Joined")].status}`)
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Equal("True"), "%s joins the fleet again", member)
}
