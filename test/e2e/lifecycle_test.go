package e2e

import (
	"fmt"
	"time"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// configApp is a namespace holding one config map, as YAML.
func configApp(namespace, value string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: %[1]s
data:
  key: %[2]s
`, namespace, value)
}

// waitForSnapshot waits until the placement has the resource snapshot index.
func waitForSnapshot(crp string, index int) {
	GinkgoHelper()
	Eventually(func() error {
		return hub.Get(ctx, client.ObjectKey{Name: fmt.Sprintf("%s-%d-snapshot", crp, index)}, &placementv1beta1.ClusterResourceSnapshot{})
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

var _ = Describe("Scaling a PickFixed placement in", Ordered, func() {
	const crp, ns = "pinned", "pinned"

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "pinned-1", "pinned-2")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
	})

	placement := func(clusters ...string) string {
		return framework.ExternalPlacementYAML(crp, ns, framework.PickFixed(clusters...))
	}

	It("removes the resources from the dropped member in the deletion stage", func() {
		apply(configApp(ns, "pinned"))
		apply(placement("member1", "member2"))
		apply(twoStages)
		waitForSnapshot(crp, 0)
		apply(framework.UpdateRunYAML("pinned-1", crp, "0", "two-stages"))
		waitForRun("pinned-1", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
		Expect(configMapData(Default, "member1", ns, "settings")).To(HaveKeyWithValue("key", "pinned"))
		Expect(configMapData(Default, "member2", ns, "settings")).To(HaveKeyWithValue("key", "pinned"))
		Expect(configMapData(Default, "member3", ns, "settings")).To(BeNil())

		apply(placement("member1"))
		Eventually(bindingSnapshot(crp, "member2")).WithTimeout(timeout).WithPolling(interval).Should(HavePrefix("Unscheduled@"))
		Expect(configMapData(Default, "member2", ns, "settings")).To(HaveKeyWithValue("key", "pinned"),
			"a cluster the policy drops keeps its resources until a run's deletion stage")
		apply(framework.UpdateRunYAML("pinned-2", crp, "0", "two-stages"))
		waitForRun("pinned-2", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")

		run := &placementv1beta1.ClusterStagedUpdateRun{}
		Expect(hub.Get(ctx, client.ObjectKey{Name: "pinned-2"}, run)).To(Succeed())
		Expect(run.Status.DeletionStageStatus.Clusters).To(ConsistOf(HaveField("ClusterName", "member2")))
		Eventually(onMember("member2", ns, "settings")).WithTimeout(timeout).WithPolling(interval).Should(BeNil())
		Expect(bindingSnapshot(crp, "member2")(Default)).To(BeEmpty())
		Expect(configMapData(Default, "member1", ns, "settings")).To(HaveKeyWithValue("key", "pinned"))
	})
})

var _ = Describe("Stopping a run and resuming it", Ordered, func() {
	const crp, ns = "paused", "paused"
	const strategy = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: short-wait
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: 10s
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
`

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "paused-run")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
	})

	It("starts nothing new while stopped, and finishes once running again", func() {
		apply(configApp(ns, "v1"))
		apply(framework.ExternalPlacementYAML(crp, ns, framework.PickAll))
		apply(strategy)
		waitForSnapshot(crp, 0)
		apply(framework.UpdateRunYAML("paused-run", crp, "0", "short-wait"))
		Eventually(onMember("member2", ns, "settings")).WithTimeout(timeout).WithPolling(interval).Should(HaveKeyWithValue("key", "v1"))

		kubectl("", "patch", "clusterstagedupdaterun", "paused-run", "--type=merge", "-p", `{"spec":{"state":"Stop"}}`)
		waitForRun("paused-run", placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, "UpdateRunStopped")
		By("holding the canary stage past the staging stage's 10 s wait")
		Consistently(func(g Gomega) []string {
			return []string{bindingSnapshot(crp, "member1")(g), bindingSnapshot(crp, "member3")(g)}
		}).WithTimeout(15 * time.Second).WithPolling(time.Second).Should(Equal([]string{"Scheduled@", "Scheduled@"}))

		kubectl("", "patch", "clusterstagedupdaterun", "paused-run", "--type=merge", "-p", `{"spec":{"state":"Run"}}`)
		waitForRun("paused-run", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
		for _, m := range memberNames {
			Expect(configMapData(Default, m, ns, "settings")).To(HaveKeyWithValue("key", "v1"), m)
		}
	})
})

var _ = Describe("A hub agent that crashes mid-run", Ordered, func() {
	const crp, ns = "sturdy", "sturdy"
	const strategy = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: gated
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: Approval
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      maxConcurrency: 2
`

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "sturdy-run")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
	})

	It("resumes where it was: no cluster updated twice, no approval asked twice", func() {
		apply(configApp(ns, "v1"))
		apply(framework.ExternalPlacementYAML(crp, ns, framework.PickAll))
		apply(strategy)
		waitForSnapshot(crp, 0)
		apply(framework.UpdateRunYAML("sturdy-run", crp, "0", "gated"))
		waitForApprovalRequest("sturdy-run-staging")

		before := snapshotOfRun(Default)
		By("killing the hub agent while the run waits for approval")
		Expect(fleet.CrashHubAgent(ctx)).To(Succeed())
		approve("sturdy-run-staging")
		waitForRun("sturdy-run", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")

		after := snapshotOfRun(Default)
		Expect(after.approvalUID).To(Equal(before.approvalUID), "the approval request was not recreated")
		Expect(after.member2Generation).To(Equal(before.member2Generation), "member2's binding was not written again")
		Expect(after.member2Started.Equal(&before.member2Started)).To(BeTrue(), "member2's update did not restart")
		for _, m := range memberNames {
			Expect(configMapData(Default, m, ns, "settings")).To(HaveKeyWithValue("key", "v1"), m)
		}
	})
})

// runFacts are what a crash must not change in the sturdy run.
type runFacts struct {
	approvalUID       string
	member2Generation int64
	member2Started    metav1.Time
}

func snapshotOfRun(g Gomega) runFacts {
	GinkgoHelper()
	req := &placementv1beta1.ClusterApprovalRequest{}
	g.Expect(hub.Get(ctx, client.ObjectKey{Name: "sturdy-run-staging"}, req)).To(Succeed())
	list := &placementv1beta1.ClusterResourceBindingList{}
	g.Expect(hub.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: "sturdy"})).To(Succeed())
	var gen int64
	for _, b := range list.Items {
		if b.Spec.TargetCluster == "member2" {
			gen = b.Generation
		}
	}
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(hub.Get(ctx, client.ObjectKey{Name: "sturdy-run"}, run)).To(Succeed())
	started := meta.FindStatusCondition(run.Status.StagesStatus[0].Clusters[0].Conditions, "Started")
	g.Expect(started).NotTo(BeNil())
	return runFacts{approvalUID: string(req.UID), member2Generation: gen, member2Started: started.LastTransitionTime}
}
