package e2e

import (
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const seedStrategy = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: example-strategy
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: 1m
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: Approval
`

func seedRun(name, index string) string {
	return `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: ` + name + `
spec:
  placementName: example-placement
  resourceSnapshotIndex: "` + index + `"
  stagedRolloutStrategyName: example-strategy
`
}

// The tutorial, command by command, with the real one-minute wait.
var _ = Describe("The staged update run tutorial", Ordered, func() {
	AfterAll(func() {
		deleteRunsAndPlacement("example-placement", "example-run", "example-run-2")
		kubectl("", "delete", "ns", "test-namespace", "--ignore-not-found")
	})

	It("places nothing before an update run, but snapshots every edit", func() {
		kubectl("", "create", "ns", "test-namespace")
		kubectl("", "create", "cm", "test-cm", "--from-literal=key=value1", "-n", "test-namespace")
		apply(framework.SeedPlacement)

		Eventually(func() [][]string { return framework.Table(kubectl("", "get", "crp", "example-placement")) }).
			WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "SCHEDULED", "SCHEDULED-GEN", "AVAILABLE", "AVAILABLE-GEN", "AGE"},
			HaveExactElements("example-placement", "1", "True", "1", Not(BeEmpty())),
		))
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels"))
		}).WithTimeout(timeout).WithPolling(interval).Should(ContainElement(HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()),
			"kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0")))

		By("editing the config map with kubectl edit")
		edit := exec.CommandContext(ctx, filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"),
			"--kubeconfig", fleet.HubKubeconfig, "edit", "cm", "test-cm", "-n", "test-namespace")
		edit.Env = append(os.Environ(), "KUBE_EDITOR=sed -i s/value1/value2/")
		out, err := edit.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "AGE", "LABELS"},
			HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()),
				"kubernetes-fleet.io/is-latest-snapshot=false,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0"),
			HaveExactElements("example-placement-1-snapshot", "1", Not(BeEmpty()),
				"kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=1"),
		))
		for _, m := range memberNames {
			Expect(configMapData(Default, m, "test-namespace", "test-cm")).To(BeNil(), "nothing reaches %s before a run", m)
		}
	})

	It("rolls index 1 out stage by stage to value2 on every member", func() {
		apply(seedStrategy)
		apply(seedRun("example-run", "1"))
		waitForRun("example-run", placementv1beta1.StagedUpdateRunConditionInitialized, metav1.ConditionTrue, "UpdateRunInitializedSuccessfully")
		Expect(framework.Table(kubectl("", "get", "crsur", "example-run"))).To(HaveExactElements(
			[]string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "SUCCEEDED", "AGE"},
			HaveExactElements("example-run", "example-placement", "1", "0", "True", Not(BeEmpty())),
		))

		By("updating member2 in staging first; the canary members wait for the one-minute timer")
		Eventually(onMember("member2", "test-namespace", "test-cm")).WithTimeout(timeout).WithPolling(interval).
			Should(HaveKeyWithValue("key", "value2"))
		Expect(configMapData(Default, "member1", "test-namespace", "test-cm")).To(BeNil())
		Expect(configMapData(Default, "member3", "test-namespace", "test-cm")).To(BeNil())

		By("asking for approval once canary (member3, then member1) is updated")
		waitForApprovalRequest("example-run-canary")
		for _, m := range memberNames {
			Expect(configMapData(Default, m, "test-namespace", "test-cm")).To(HaveKeyWithValue("key", "value2"), m)
		}
		Expect(framework.Table(kubectl("", "get", "clusterapprovalrequest", "example-run-canary"))).To(HaveExactElements(
			[]string{"NAME", "UPDATE-RUN", "STAGE", "APPROVED", "APPROVALACCEPTED", "AGE"},
			HaveExactElements("example-run-canary", "example-run", "canary", Not(BeEmpty())),
		))
		approve("example-run-canary")
		waitForRun("example-run", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
		Expect(framework.Table(kubectl("", "get", "clusterapprovalrequest", "example-run-canary"))).To(ContainElement(
			HaveExactElements("example-run-canary", "example-run", "canary", "True", "True", Not(BeEmpty()))))
		Expect(framework.Table(kubectl("", "get", "crsur", "example-run"))).To(ContainElement(
			HaveExactElements("example-run", "example-placement", "1", "0", "True", "True", Not(BeEmpty()))))
		Eventually(func() [][]string { return framework.Table(kubectl("", "get", "crp", "example-placement")) }).
			WithTimeout(timeout).WithPolling(interval).Should(ContainElement(
			HaveExactElements("example-placement", "1", "True", "1", "True", "1", Not(BeEmpty()))))
	})

	It("rolls back to index 0 with a second run", func() {
		apply(seedRun("example-run-2", "0"))
		waitForApprovalRequest("example-run-2-canary")
		approve("example-run-2-canary")
		waitForRun("example-run-2", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")
		for _, m := range memberNames {
			Expect(configMapData(Default, m, "test-namespace", "test-cm")).To(HaveKeyWithValue("key", "value1"), m)
		}
		out := kubectl("", "get", "crsur", "example-run-2", "-o", "yaml")
		Expect(out).To(ContainSubstring("reason: AfterStageTaskApprovalRequestApproved"))
		Expect(out).To(ContainSubstring("stageName: kubernetes-fleet.io/deleteStage"))
	})
})
