package reliability

import (
	"fmt"
	"strings"
	"time"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// waitStrategy updates staging, waits faultWait, then both canary members at
// once.
const faultWait = 10 * time.Second

var waitStrategy = fmt.Sprintf(`
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: waiting
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: %s
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      maxConcurrency: 2
`, faultWait)

// waitForTimedWait waits until the run waits after its first stage.
func waitForTimedWait(run string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		r := &placementv1beta1.ClusterStagedUpdateRun{}
		g.Expect(hub.Get(ctx, client.ObjectKey{Name: run}, r)).To(Succeed())
		g.Expect(r.Status.StagesStatus).NotTo(BeEmpty())
		tasks := r.Status.StagesStatus[0].AfterStageTaskStatus
		g.Expect(tasks).NotTo(BeEmpty())
		c := meta.FindStatusCondition(tasks[0].Conditions, string(placementv1beta1.StageTaskConditionWaitTimeElapsed))
		g.Expect(c).NotTo(BeNil(), "the TimedWait has not started")
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// outcomeOf checks and counts what every fault spec checks once its runs
// have succeeded.
func outcomeOf(a *audit, before map[string]placementv1beta1.ClusterResourceBinding, runs int, wall time.Duration, wait time.Duration) outcome {
	GinkgoHelper()
	a.stop()
	once, otherwise := checkMovedOnce(a, before)
	found := a.findings(wait)
	Expect(found.problems).To(BeEmpty())
	Expect(otherwise).To(BeZero(), "bindings not moved exactly once (see the report entries)")
	Expect(once).To(Equal(len(before)))
	return outcome{
		Runs: runs, RunsSucceeded: runs, BindingsMovedOnce: once, DuplicateOrMissingMoves: otherwise,
		ApprovalRequests: found.ApprovalRequests, ApprovalsRequestedTwice: found.ApprovalsRequestedTwice,
		TimedWaits: found.TimedWaits, TimedWaitsRestarted: found.TimedWaitsRestarted,
		MemberObjectsDeleted: len(found.MemberDeletes), AuditRelists: found.Relists, WallSeconds: seconds(wall),
	}
}

// waitingRun is a run of the waiting strategy over app name on every member,
// with the audit of its spec.
type waitingRun struct {
	name   string
	before map[string]placementv1beta1.ClusterResourceBinding
	audit  *audit
	start  time.Time
}

// startWaitingRun places app name on every member, starts the audit and
// the run, and returns once the run waits after its first stage.
func startWaitingRun(name string) *waitingRun {
	GinkgoHelper()
	apply(waitStrategy, app(name, "v1", framework.PickAll))
	w := &waitingRun{name: name, before: waitForBindings(len(members), name)}
	w.audit = startAudit(name)
	w.start = time.Now()
	apply(framework.UpdateRunYAML(name+"-run", name, "0", "waiting"))
	waitForTimedWait(name + "-run")
	return w
}

// finish waits until the run has succeeded, checks the audit and the app on
// every member, and returns the outcome.
func (w *waitingRun) finish() outcome {
	GinkgoHelper()
	waitForRuns(w.name + "-run")
	result := outcomeOf(w.audit, w.before, 1, time.Since(w.start), faultWait)
	expectAppOnMembers(w.name, "v1", memberNames()...)
	return result
}

var _ = Describe("The leading hub agent dying mid-run", Ordered, func() {
	const name = "ha-app"
	AfterAll(func() { cleanUp([]string{name + "-run"}, []string{name}) })

	It("lets the standby take over within the lease, and the run finishes", func() {
		w := startWaitingRun(name)

		leader := waitForLeader()
		standby := otherHubAgent(leader)
		By(fmt.Sprintf("killing the leader %s and keeping it down", leader))
		killedAt := time.Now()
		_, err := fleet.KillAndHold(leader)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() (string, error) { return fleet.HubAgentLeader(ctx) }).
			WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Equal(standby))
		takeover := time.Since(killedAt)
		GinkgoWriter.Printf("%s took over in %s\n", standby, takeover)

		result := w.finish()
		Expect(fleet.StartProcess(ctx, leader)).To(Succeed())

		figures.set(func(r *report) {
			r.HA = &takeoverFigures{outcome: result, TakeoverSeconds: seconds(takeover), LeaseDurationSeconds: seconds(leaseDuration)}
		})
		// A standby may take over only once the lease expired, and then
		// within a retry period or so.
		Expect(takeover).To(BeNumerically(">=", leaseDuration/2), "the standby took over before the dead leader's lease could expire")
	})
})

var _ = Describe("A hub API server restart mid-run", Ordered, func() {
	const name = "restart-app"
	AfterAll(func() { cleanUp([]string{name + "-run"}, []string{name}) })

	It("loses nothing: the agents reconnect and the run finishes", func() {
		w := startWaitingRun(name)

		By("restarting the hub's kube-apiserver; etcd keeps running")
		stoppedAt := time.Now()
		Expect(fleet.StopProcess("hub-apiserver")).To(Succeed())
		Expect(fleet.StartProcess(ctx, "hub-apiserver")).To(Succeed())
		down := time.Since(stoppedAt)
		GinkgoWriter.Printf("the hub API server was down for %s\n", down)

		result := w.finish()
		figures.set(func(r *report) {
			r.HubAPIServerRestart = &restartFigures{outcome: result, DownSeconds: seconds(down)}
		})
	})
})

var _ = Describe("A member API server down for a while", Ordered, func() {
	const down, other = "down-app", "down-other"
	AfterAll(func() {
		cleanUp([]string{down + "-run", other + "-run"}, []string{down, other})
		kubectl("", "patch", "membercluster", "member1", "--type=merge", "-p", `{"spec":{"heartbeatPeriodSeconds":null}}`)
	})

	It("shows its cluster stuck with the cause, leaves the other clusters alone and completes once it is back", func() {
		// down-app reaches member1 in the run's last stage; down-other never
		// goes there.
		apply(waitStrategy, app(down, "v1", framework.PickAll), app(other, "v1", framework.PickFixed("member2", "member3")))
		before := waitForBindings(len(members), down)
		for k, v := range waitForBindings(2, other) {
			before[k] = v
		}
		audit := startAudit("down-")
		// The member agent checks its API server at every heartbeat.
		kubectl("", "patch", "membercluster", "member1", "--type=merge", "-p", `{"spec":{"heartbeatPeriodSeconds":5}}`)

		By(fmt.Sprintf("stopping member1's kube-apiserver for %s", *memberDown))
		stoppedAt := time.Now()
		Expect(fleet.StopProcess("member1-apiserver")).To(Succeed())
		apply(framework.UpdateRunYAML(down+"-run", down, "0", "waiting"), framework.UpdateRunYAML(other+"-run", other, "0", "waiting"))

		waitForRuns(other + "-run")
		otherDone := time.Since(stoppedAt)
		var stuck string
		Eventually(func(g Gomega) {
			c := runCondition(g, down+"-run", placementv1beta1.StagedUpdateRunConditionProgressing)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(placementv1beta1.UpdateRunStuckReason), c.Message)
			g.Expect(c.Message).To(ContainSubstring("Healthy=False"))
			stuck = c.Message
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		stuckAfter := time.Since(stoppedAt)
		GinkgoWriter.Printf("stuck after %s: %s\n", stuckAfter, stuck)
		Expect(stuck).To(And(ContainSubstring(`stage "canary"`), ContainSubstring("member cluster member1 is Healthy=False"),
			ContainSubstring("API server is not ready")))
		expectAppOnMembers(down, "v1", "member2", "member3")
		expectAppOnMembers(other, "v1", "member2", "member3")

		time.Sleep(time.Until(stoppedAt.Add(*memberDown)))
		By("starting member1's kube-apiserver again")
		Expect(fleet.StartProcess(ctx, "member1-apiserver")).To(Succeed())
		restoredAt := time.Now()
		waitForRuns(down + "-run")
		completed := time.Since(restoredAt)
		result := outcomeOf(audit, before, 2, time.Since(stoppedAt), faultWait)
		expectAppOnMembers(down, "v1", memberNames()...)
		figures.set(func(r *report) {
			r.MemberAPIServerDown = &memberDownFigures{
				outcome: result, DownSeconds: seconds(restoredAt.Sub(stoppedAt)), StuckReportedAfterSeconds: seconds(stuckAfter),
				CompletedAfterRestoreSeconds: seconds(completed), StuckMessage: stuck, OtherRunSeconds: seconds(otherDone),
			}
		})
	})
})

// midApplyObjects is how many config maps the mid-apply spec places: enough
// that the member agent takes a while to apply them.
const midApplyObjects = 600

// directStrategy updates staging in one stage.
const directStrategy = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: direct
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
`

var _ = Describe("A member agent killed mid-apply", Ordered, func() {
	const name = "midapply"
	AfterAll(func() { cleanUp([]string{name + "-run"}, []string{name}) })

	It("applies everything once it is back, deleting nothing", func() {
		apply(directStrategy, manyConfigMaps(name, midApplyObjects, framework.PickFixed("member2")))
		before := waitForBindings(1, name)
		audit := startAudit(name)
		start := time.Now()
		apply(framework.UpdateRunYAML(name+"-run", name, "0", "direct"))

		By("killing member2's agent once the first object has appeared")
		list := &corev1.ConfigMapList{}
		Eventually(func(g Gomega) {
			g.Expect(members["member2"].List(ctx, list, client.InNamespace(name), client.HasLabels{"midapply"})).To(Succeed())
			g.Expect(list.Items).NotTo(BeEmpty())
		}).WithTimeout(timeout).WithPolling(20 * time.Millisecond).Should(Succeed())
		_, err := fleet.Kill("member2-agent")
		Expect(err).NotTo(HaveOccurred())
		Expect(members["member2"].List(ctx, list, client.InNamespace(name), client.HasLabels{"midapply"})).To(Succeed())
		appliedAtKill := len(list.Items)
		GinkgoWriter.Printf("%d of %d config maps were applied when the agent died\n", appliedAtKill, midApplyObjects)
		Expect(appliedAtKill).To(BeNumerically("<", midApplyObjects), "the agent had finished before it was killed; place more objects")

		waitForRuns(name + "-run")
		wall := time.Since(start)
		result := outcomeOf(audit, before, 1, wall, 0)
		Expect(members["member2"].List(ctx, list, client.InNamespace(name), client.HasLabels{"midapply"})).To(Succeed())
		Expect(list.Items).To(HaveLen(midApplyObjects))
		for _, cm := range list.Items {
			Expect(cm.Data).To(HaveKeyWithValue("key", "v1"), cm.Name)
		}
		figures.set(func(r *report) {
			r.MemberAgentMidApply = &midApplyFigures{outcome: result, Objects: midApplyObjects, AppliedAtKill: appliedAtKill}
		})
	})
})

// manyConfigMaps is a namespace with n labelled config maps and an External
// placement of it onto the members picked by policy.
func manyConfigMaps(name string, n int, policy string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", name)
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  namespace: %s\n  labels:\n    midapply: \"true\"\ndata:\n  key: v1\n", i, name)
	}
	b.WriteString("---\n" + framework.ExternalPlacementYAML(name, name, policy))
	return b.String()
}
