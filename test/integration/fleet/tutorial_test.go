package fleet

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// tutorialStrategy is the tutorial's example-strategy, except that the
// staging stage waits 2s instead of 1m: the wait is real time here, and the
// tutorial's exact timing is covered by the update run suite with a fake
// clock.
const tutorialStrategy = `
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
          waitTime: 2s
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: Approval
`

// tutorialRun is the tutorial's ClusterStagedUpdateRun manifest.
func tutorialRun(name, index string) string {
	return fmt.Sprintf(`
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: %s
spec:
  placementName: example-placement
  resourceSnapshotIndex: %q
  stagedRolloutStrategyName: example-strategy
`, name, index)
}

var (
	crpHeader      = []string{"NAME", "GEN", "SCHEDULED", "SCHEDULED-GEN", "AVAILABLE", "AVAILABLE-GEN", "AGE"}
	runHeader      = []string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "SUCCEEDED", "AGE"}
	approvalHeader = []string{"NAME", "UPDATE-RUN", "STAGE", "APPROVED", "APPROVALACCEPTED", "AGE"}
)

// snapshotsOfPlacement selects example-placement's resource snapshots: the
// tutorial lists all of them, but other specs of this suite place resources too.
const snapshotsOfPlacement = placementv1beta1.PlacementTrackingLabel + "=" + "example-placement"

// snapshotLabels are the labels kubectl --show-labels prints for a resource
// snapshot of example-placement.
func snapshotLabels(latest bool, index int) string {
	return fmt.Sprintf("kubernetes-fleet.io/is-latest-snapshot=%t,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=%d", latest, index)
}

var _ = Describe("The tutorial on a fleet of three member clusters", Ordered, func() {
	const crp = "example-placement"

	It("snapshots the hub's namespace and config map as index 0 and places nothing before a run", func() {
		kubectl("", "create", "ns", "test-namespace")
		kubectl("", "create", "cm", "test-cm", "--from-literal=key=value1", "-n", "test-namespace")
		kubectl(framework.SeedPlacement, "apply", "-f", "-")

		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "crp", crp))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			crpHeader,
			HaveExactElements(crp, "1", "True", "1", Not(BeEmpty())), // AVAILABLE and AVAILABLE-GEN blank
		))
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels", "-l", snapshotsOfPlacement))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "AGE", "LABELS"},
			HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()), snapshotLabels(true, 0)),
		))
		Eventually(func(g Gomega) {
			for _, m := range members {
				g.Expect(bindingOf(g, crp, m.name).Spec.State).To(Equal(placementv1beta1.BindingStateScheduled))
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("deploying nothing to the members: the External strategy waits for an update run")
		Consistently(func(g Gomega) {
			for _, m := range members {
				g.Expect(namespaceOn(g, m, "test-namespace")).To(BeFalse(), "test-namespace reached %s", m.name)
			}
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())
	})

	It("snapshots the edited config map as index 1", func() {
		// The tutorial edits the config map with kubectl edit; a patch makes the same change.
		kubectl("", "patch", "cm", "test-cm", "-n", "test-namespace", "--type=merge", "-p", `{"data":{"key":"value2"}}`)
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels", "-l", snapshotsOfPlacement))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "AGE", "LABELS"},
			HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()), snapshotLabels(false, 0)),
			HaveExactElements("example-placement-1-snapshot", "1", Not(BeEmpty()), snapshotLabels(true, 1)),
		))
	})

	It("rolls index 1 out stage by stage with example-run, up to the canary approval", func() {
		kubectl(tutorialStrategy, "apply", "-f", "-")
		kubectl(tutorialRun("example-run", "1"), "apply", "-f", "-")

		By("updating every cluster, then waiting for the canary stage's approval")
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterapprovalrequest"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			approvalHeader,
			HaveExactElements("example-run-canary", "example-run", "canary", Not(BeEmpty())), // APPROVED and APPROVALACCEPTED blank
		))
		Eventually(valueOnEveryMember("value2")).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(framework.Table(kubectl("", "get", "crsur", "example-run"))).To(HaveExactElements(
			runHeader,
			HaveExactElements("example-run", crp, "1", "0", "True", Not(BeEmpty())), // SUCCEEDED blank
		))

		By("having reached staging first, then canary in the order of the order label")
		created := map[string]time.Time{}
		for _, m := range members {
			created[m.name] = configMapOn(Default, m, "test-namespace", "test-cm").CreationTimestamp.Time
		}
		// The staging stage waits 2s after member2 is available, so canary's
		// config maps are created at least a second later.
		Expect(created["member2"].Before(created["member3"])).To(BeTrue(), "created at %v", created)
		Expect(created["member1"].Before(created["member3"])).To(BeFalse(), "created at %v", created)
		run := getRun(Default, "example-run")
		Expect(run.Status.StagesStatus).To(HaveExactElements(
			And(HaveField("StageName", "staging"), HaveField("Clusters", HaveExactElements(HaveField("ClusterName", "member2")))),
			And(HaveField("StageName", "canary"), HaveField("Clusters", HaveExactElements(HaveField("ClusterName", "member3"), HaveField("ClusterName", "member1")))),
		))
	})

	It("succeeds once the canary stage is approved with kubectl patch, and the placement is available", func() {
		approve("example-run-canary")

		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "crsur", "example-run"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			runHeader,
			HaveExactElements("example-run", crp, "1", "0", "True", "True", Not(BeEmpty())),
		))
		Expect(framework.Table(kubectl("", "get", "clusterapprovalrequest", "example-run-canary"))).To(HaveExactElements(
			approvalHeader,
			HaveExactElements("example-run-canary", "example-run", "canary", "True", "True", Not(BeEmpty())),
		))
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "crp", crp))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			crpHeader,
			HaveExactElements(crp, "1", "True", "1", "True", "1", Not(BeEmpty())),
		))

		p := getCRP(Default, crp)
		Expect(p.Status.ObservedResourceIndex).To(Equal("1"))
		Expect(p.Status.PerClusterPlacementStatuses).To(HaveLen(3))
		for _, m := range members {
			pc := perCluster(Default, p, m.name)
			Expect(pc.ObservedResourceIndex).To(Equal("1"), m.name)
			Expect(currentCondition(pc.Conditions, string(placementv1beta1.ResourceBindingAvailable), p.Generation)).To(
				haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.BindingAllWorkAvailableReason), m.name)
			Expect(pc.FailedPlacements).To(BeEmpty(), m.name)
		}
		valueOnEveryMember("value2")(Default)
	})

	It("rolls every member back to index 0 with example-run-2", func() {
		kubectl(tutorialRun("example-run-2", "0"), "apply", "-f", "-")
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterapprovalrequest"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			approvalHeader,
			HaveExactElements("example-run-2-canary", "example-run-2", "canary", Not(BeEmpty())), // not approved yet
			HaveExactElements("example-run-canary", "example-run", "canary", "True", "True", Not(BeEmpty())),
		))
		approve("example-run-2-canary")

		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "crsur", "example-run-2"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			runHeader,
			HaveExactElements("example-run-2", crp, "0", "0", "True", "True", Not(BeEmpty())),
		))
		valueOnEveryMember("value1")(Default)
		Eventually(func(g Gomega) {
			p := getCRP(g, crp)
			g.Expect(p.Status.ObservedResourceIndex).To(Equal("0"))
			g.Expect(currentCondition(p.Status.Conditions, string(placementv1beta1.ClusterResourcePlacementAvailable), p.Generation)).To(
				haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.PlacementAvailableReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
