package reliability

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// chaosWait is the TimedWait after the chaos strategy's first stage.
const chaosWait = 15 * time.Second

// chaosStrategy updates staging, waits, then each canary member in turn,
// each behind an approval.
var chaosStrategy = fmt.Sprintf(`
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: chaos
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: %s
    - name: canary1
      labelSelector:
        matchLabels:
          environment: canary
          order: "1"
      afterStageTasks:
        - type: Approval
    - name: canary2
      labelSelector:
        matchLabels:
          environment: canary
          order: "2"
      afterStageTasks:
        - type: Approval
`, chaosWait)

var _ = Describe("Hub agent and member agent crashes at random points", Ordered, func() {
	var runs, apps []string

	AfterAll(func() { cleanUp(runs, apps) })

	It("completes every run, moving each cluster once, asking each approval once and never restarting a TimedWait", func() {
		n, kills := *chaosRuns, *chaosKills
		manifests := []string{chaosStrategy}
		for i := 1; i <= n; i++ {
			apps = append(apps, fmt.Sprintf("chaos-%d", i))
			runs = append(runs, fmt.Sprintf("chaos-%d-run", i))
			manifests = append(manifests, app(apps[i-1], "v1", framework.PickAll))
		}
		By(fmt.Sprintf("placing %d apps on the three members", n))
		apply(manifests...)
		before := waitForBindings(len(members), apps...)

		audit := startAudit("chaos-")
		// The canary approvals wait for the chaos, so that every stage of the
		// runs sees some of it.
		var killed atomic.Int32
		approvals := startApprover("chaos-", func(stage string) bool {
			switch stage {
			case "canary1":
				return int(killed.Load()) >= (kills+1)/2
			case "canary2":
				return int(killed.Load()) >= kills
			}
			return true
		})
		var runManifests []string
		for i := range runs {
			runManifests = append(runManifests, framework.UpdateRunYAML(runs[i], apps[i], "0", "chaos"))
		}
		By(fmt.Sprintf("starting %d update runs at once", n))
		start := time.Now()
		apply(runManifests...)

		seed := rand.Uint64()
		rng := rand.New(rand.NewPCG(seed, seed))
		GinkgoWriter.Printf("chaos seed %d\n", seed)
		var takeovers durations
		memberKills := 0
		for k := 1; k <= kills; k++ {
			time.Sleep(time.Duration(1000+rng.IntN(5000)) * time.Millisecond)
			leader := waitForLeader()
			By(fmt.Sprintf("kill %d/%d: SIGKILL to the leading hub agent %s", k, kills, leader))
			killedAt := time.Now()
			_, err := fleet.Kill(leader)
			Expect(err).NotTo(HaveOccurred())
			if k%2 == 0 {
				member := fleet.Members[rng.IntN(len(fleet.Members))].Name
				By("and SIGKILL to the member agent of " + member)
				_, err := fleet.Kill(member + "-agent")
				Expect(err).NotTo(HaveOccurred())
				memberKills++
			}
			waitForLeader()
			takeovers = append(takeovers, seconds(time.Since(killedAt)))
			killed.Add(1)
		}

		By("waiting for every run to succeed")
		waitForRuns(runs...)
		wall := time.Since(start)
		audit.stop()
		given, lost := approvals.finish()
		once, otherwise := checkMovedOnce(audit, before)
		found := audit.findings(chaosWait)
		for _, a := range apps {
			expectAppOnMembers(a, "v1", memberNames()...)
		}

		figures.set(func(r *report) {
			r.Chaos = &chaosFigures{
				outcome: outcome{
					Runs: n, RunsSucceeded: n, BindingsMovedOnce: once, DuplicateOrMissingMoves: otherwise,
					ApprovalRequests: found.ApprovalRequests, ApprovalsRequestedTwice: found.ApprovalsRequestedTwice,
					ApprovalsGiven: given, ApprovalsLost: lost,
					TimedWaits: found.TimedWaits, TimedWaitsRestarted: found.TimedWaitsRestarted,
					MemberObjectsDeleted: len(found.MemberDeletes), AuditRelists: found.Relists, WallSeconds: seconds(wall),
				},
				HubAgentKills: kills, MemberAgentKills: memberKills, TakeoverSeconds: takeovers, Seed: seed,
			}
		})
		Expect(found.problems).To(BeEmpty())
		Expect(otherwise).To(BeZero(), "bindings not moved exactly once (see the report entries)")
		Expect(once).To(Equal(n * len(members)))
		Expect(lost).To(BeZero(), "approvals lost (see the report entries)")
		Expect(given).To(Equal(2 * n))
		Expect(found.ApprovalRequests).To(Equal(2 * n))
		Expect(found.TimedWaits).To(Equal(n))
	})
})

// waitForLeader waits until a hub agent leads and returns its name.
func waitForLeader() string {
	GinkgoHelper()
	var leader string
	Eventually(func(g Gomega) {
		var err error
		leader, err = fleet.HubAgentLeader(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(leader).NotTo(BeEmpty(), "no hub agent leads")
	}).WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
	return leader
}

// memberNames are the fleet's members, in its order.
func memberNames() []string {
	names := make([]string, 0, len(fleet.Members))
	for _, m := range fleet.Members {
		names = append(names, m.Name)
	}
	return names
}

// otherHubAgent returns the hub agent replica that is not name.
func otherHubAgent(name string) string {
	for _, a := range fleet.HubAgents() {
		if a != name {
			return a
		}
	}
	Fail("the fleet has one hub agent only: " + strings.Join(fleet.HubAgents(), ", "))
	return ""
}
