package updaterun

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Condition types and reasons the specs read, short.
const (
	progressing = string(placementv1beta1.StagedUpdateRunConditionProgressing)
	succeededC  = string(placementv1beta1.StagedUpdateRunConditionSucceeded)
	initialized = string(placementv1beta1.StagedUpdateRunConditionInitialized)
	startedC    = string(placementv1beta1.ClusterUpdatingConditionStarted)
	deleteStage = placementv1beta1.UpdateRunDeleteStageName
)

var (
	staging = matchLabels("environment", "staging")
	canary  = matchLabels("environment", "canary")
)

// progressOf tells, for each cluster of a placement, whether its binding
// waits (not bound yet), is updating (bound, not Available yet) or is done
// (Available at its generation).
func progressOf(crp string, clusters ...string) func(Gomega) []string {
	return func(g Gomega) []string {
		updating := map[string]bool{}
		for _, c := range updatingClusters(crp, clusters...)(g) {
			updating[c] = true
		}
		out := make([]string, 0, len(clusters))
		for _, c := range clusters {
			switch b := getBinding(g, crp, c); {
			case updating[c]:
				out = append(out, c+" updating")
			case b.Spec.State == placementv1beta1.BindingStateBound:
				out = append(out, c+" done")
			default:
				out = append(out, c+" waiting")
			}
		}
		return out
	}
}

// expectedProgress is progressOf for a stage that has finished done
// clusters and updates the next limit ones.
func expectedProgress(clusters []string, done, limit int) []string {
	out := make([]string, 0, len(clusters))
	for i, c := range clusters {
		switch {
		case i < done:
			out = append(out, c+" done")
		case i < done+limit:
			out = append(out, c+" updating")
		default:
			out = append(out, c+" waiting")
		}
	}
	return out
}

var _ = Describe("Stage execution", func() {
	DescribeTable("a stage updates at most maxConcurrency clusters at once and starts the next one as soon as one finishes",
		func(spec string, n int, maxConcurrency intstr.IntOrString, limit int) {
			clusters := createSpecClusters(spec, n)
			crp, run := spec, spec+"-run"
			placementFixture{name: crp, clusters: clusters}.create()
			createStrategy(spec, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels("suite-spec", spec), MaxConcurrency: &maxConcurrency})
			startRun(run, crp, "1", spec, "")

			for done := range n {
				want := expectedProgress(clusters, done, limit)
				eventually(progressOf(crp, clusters...)).Should(Equal(want))
				consistently(progressOf(crp, clusters...)).Should(Equal(want), "no more than %d cluster(s) update at once", limit)
				makeAvailable(crp, clusters[done])
			}
			eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
			for _, c := range clusters {
				Expect(clusterCondition(run, "all", c, succeededC)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason))
			}
		},
		Entry("maxConcurrency 2: two of four clusters at a time", "conc-int", 4, intstr.FromInt32(2), 2),
		Entry("maxConcurrency 50%: half of four clusters is two at a time", "conc-half", 4, intstr.FromString("50%"), 2),
		Entry("maxConcurrency 30%: 30% of three clusters rounds down to one at a time", "conc-third", 3, intstr.FromString("30%"), 1),
	)

	It("holds a stage until its before-stage approval is approved, then updates it", func() {
		const crp, run, req = "before-approval", "before-approval-run", "before-approval-run-before-canary"
		placementFixture{name: crp, clusters: []string{"member1", "member3"}, autoAvailable: true}.create()
		createStrategy("before-approval", placementv1beta1.StageConfig{
			Name: "canary", LabelSelector: canary, SortingLabelKey: ptrTo("order"),
			BeforeStageTasks: []placementv1beta1.StageTask{approvalTask},
		})
		startRun(run, crp, "1", "before-approval", "")

		By("asking for approval with a before-stage request and starting no cluster")
		eventually(func(g Gomega) map[string]string { return getApprovalRequest(g, req).Labels }).Should(Equal(map[string]string{
			placementv1beta1.TargetUpdateRunLabel: run, placementv1beta1.TargetUpdatingStageNameLabel: "canary",
			placementv1beta1.TaskTypeLabel: "beforeStage", placementv1beta1.IsLatestUpdateRunApprovalLabel: "true",
		}))
		Expect(getApprovalRequest(Default, req).Spec).To(Equal(placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: run, TargetStage: "canary"}))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, req))
		Expect(stageCondition(run, "canary", progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingWaitingReason))
		consistently(progressOf(crp, "member3", "member1")).Should(Equal([]string{"member3 waiting", "member1 waiting"}))
		Expect(conditionsOf(getRun(Default, run).Status.StagesStatus[0].BeforeStageTaskStatus[0].Conditions)).To(Equal([]string{
			"ApprovalRequestCreated=True/BeforeStageTaskApprovalRequestCreated",
		}))

		By("approving it as the tutorial does")
		approve(req)
		eventually(func(g Gomega) *metav1.Condition {
			return meta.FindStatusCondition(getApprovalRequest(g, req).Status.Conditions, "ApprovalAccepted")
		}).Should(And(
			beCondition(metav1.ConditionTrue, placementv1beta1.ApprovalRequestApprovalAcceptedReason, "cannot be reverted"),
			HaveField("ObservedGeneration", getApprovalRequest(Default, req).Generation),
		))
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(progressOf(crp, "member3", "member1")(Default)).To(Equal([]string{"member3 done", "member1 done"}))
		Expect(conditionsOf(getRun(Default, run).Status.StagesStatus[0].BeforeStageTaskStatus[0].Conditions)).To(Equal([]string{
			"ApprovalRequestCreated=True/BeforeStageTaskApprovalRequestCreated", "ApprovalRequestApproved=True/BeforeStageTaskApprovalRequestApproved",
		}))
	})

	It("skips a stage without clusters, never asks for its approvals, and completes the run", func() {
		const crp, run = "empty-stage", "empty-stage-run"
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}, autoAvailable: true}.create()
		createStrategy("empty-stage",
			placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging},
			placementv1beta1.StageConfig{
				Name: "nobody", LabelSelector: matchLabels("suite-spec", "nobody"),
				BeforeStageTasks: []placementv1beta1.StageTask{approvalTask},
				AfterStageTasks:  []placementv1beta1.StageTask{approvalTask, timedWaitTask(time.Hour)},
			},
			placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary, MaxConcurrency: ptrTo(intstr.FromInt32(2))},
		)
		startRun(run, crp, "1", "empty-stage", "")

		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		r := getRun(Default, run)
		empty := stageOf(Default, r, "nobody")
		Expect(empty.Clusters).To(BeEmpty())
		Expect(conditionsOf(empty.Conditions)).To(Equal([]string{
			"Progressing=False/StageUpdatingSkippedNoClusters", "Succeeded=True/StageUpdatingSkippedNoClusters",
		}))
		for _, c := range empty.Conditions {
			Expect(c.Message).To(Equal("Stage skipped because it has no clusters"))
		}
		for _, t := range append(empty.BeforeStageTaskStatus, empty.AfterStageTaskStatus...) {
			Expect(t.Conditions).To(BeEmpty(), "task %s of the skipped stage was not run", t.Type)
		}
		Expect(approvalRequestsOf(run)(Default)).To(BeEmpty())
		Expect(conditionsOf(stageOf(Default, r, "canary").Conditions)).To(Equal(stageDone))
	})

	It("reports a cluster stuck past the threshold with its binding's failure, and goes on once the cluster is available", func() {
		const crp, run = "stuck", "stuck-run"
		placementFixture{name: crp, clusters: []string{"member1", "member3"}}.create()
		createStrategy("stuck", placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary, SortingLabelKey: ptrTo("order")})
		startRun(run, crp, "1", "stuck", "")
		eventually(boundTo(crp, "member3")).Should(Equal("Bound@stuck-1-snapshot"))
		expectStarted(run, "canary", "member3")

		By("member3 failing to apply, within the threshold")
		setBindingCondition(crp, "member3", metav1.Condition{
			Type: string(placementv1beta1.ResourceBindingApplied), Status: metav1.ConditionFalse,
			Reason: placementv1beta1.BindingNotAllWorkAppliedReason, Message: `Work stuck-work: configmaps "test-cm" is forbidden`,
		})
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))
		consistently(runCondition(run, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))

		By("the threshold passing")
		advanceClock(stuckThreshold + time.Minute)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStuckReason,
			`stage "canary"`, "member3", "NotAllWorkHaveBeenApplied", `configmaps "test-cm" is forbidden`))
		Expect(runSucceeded(run)(Default)).To(BeNil(), "a stuck run has not failed")
		Expect(boundTo(crp, "member1")(Default)).To(Equal("Scheduled@"))

		By("member3 becoming available")
		makeAvailable(crp, "member3")
		eventually(boundTo(crp, "member1")).Should(Equal("Bound@stuck-1-snapshot"))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))
		consistently(runCondition(run, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason),
			"member1 has just started; it is not stuck")
		makeAvailable(crp, "member1")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
	})

	It("skips clusters that leave the fleet or the placement during the run, and still succeeds", func() {
		clusters := createSpecClusters("leaving", 3)
		const crp, run = "leaving", "leaving-run"
		placementFixture{name: crp, clusters: clusters}.create()
		createStrategy("leaving", placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels("suite-spec", "leaving")})
		startRun(run, crp, "1", "leaving", "")
		eventually(progressOf(crp, clusters...)).Should(Equal([]string{"leaving-1 updating", "leaving-2 waiting", "leaving-3 waiting"}))
		expectStarted(run, "all", "leaving-1")

		By("leaving-2 leaving the fleet before its turn")
		Expect(k8sClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: "leaving-2"}})).To(Succeed())
		eventually(clusterCondition(run, "all", "leaving-2", succeededC)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSkippedReason,
			`member cluster "leaving-2" left the fleet`))

		By("the placement letting go of leaving-3 before its turn")
		updateBinding(crp, "leaving-3", func(b *placementv1beta1.ClusterResourceBinding) {
			b.Spec.State = placementv1beta1.BindingStateUnscheduled
		})
		eventually(clusterCondition(run, "all", "leaving-3", succeededC)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSkippedReason,
			`no longer picks cluster "leaving-3"`, bindingName(crp, "leaving-3"), "Unscheduled"))
		Expect(runCondition(run, progressing)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))

		By("the cluster in flight finishing")
		makeAvailable(crp, "leaving-1")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(boundTo(crp, "leaving-2")(Default)).To(Equal("Scheduled@"), "a skipped cluster's binding is left alone")
		Expect(boundTo(crp, "leaving-3")(Default)).To(Equal("Unscheduled@"))
		for _, c := range []string{"leaving-2", "leaving-3"} {
			Expect(clusterCondition(run, "all", c, startedC)(Default)).To(BeNil(), "%s never started", c)
		}
	})

	It("fails a run whose updating cluster a concurrent run rebinds, and lets the other run go on", func() {
		const crp, a, b = "preempt", "preempt-a", "preempt-b"
		placementFixture{name: crp, clusters: []string{"member2"}}.create()
		createStrategy("preempt", placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging})
		startRun(a, crp, "1", "preempt", "")
		eventually(boundTo(crp, "member2")).Should(Equal("Bound@preempt-1-snapshot"))
		expectStarted(a, "staging", "member2")

		By("run B rolling member2 back to index 0 while run A updates it")
		startRun(b, crp, "0", "preempt", "")
		eventually(boundTo(crp, "member2")).Should(Equal("Bound@preempt-0-snapshot"))
		eventually(runCondition(a, succeededC)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunFailedReason,
			"member2", bindingName(crp, "member2"), "concurrent updateRun"))
		Expect(runCondition(a, progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunFailedReason))
		Expect(stageCondition(a, "staging", succeededC)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingFailedReason, "concurrent updateRun"))
		Expect(stageCondition(a, "staging", progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingFailedReason))
		Expect(clusterCondition(a, "staging", "member2", succeededC)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.ClusterUpdatingFailedReason, "concurrent updateRun"))
		eventually(runCondition(b, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))

		By("run B finishing")
		makeAvailable(crp, "member2")
		eventually(runSucceeded(b)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(boundTo(crp, "member2")(Default)).To(Equal("Bound@preempt-0-snapshot"))
		Expect(runCondition(a, succeededC)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunFailedReason))
	})

	It("takes over a binding a rolling update held back at the run's snapshot by marking its rollout started", func() {
		const crp, run = "held", "held-run"
		placementFixture{name: crp, clusters: []string{"member2"}}.create()
		createStrategy("held", placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging})

		By("holding member2 back at index 1 the way the rollout controller does")
		Eventually(func(g Gomega) {
			b := getBinding(g, crp, "member2")
			b.Spec.State = placementv1beta1.BindingStateBound
			b.Spec.ResourceSnapshotName = crp + "-1-snapshot"
			b.Spec.ApplyStrategy = &placementv1beta1.ApplyStrategy{
				Type: placementv1beta1.ApplyStrategyTypeClientSideApply, ComparisonOption: placementv1beta1.ComparisonOptionTypePartialComparison,
				WhenToApply: placementv1beta1.WhenToApplyTypeAlways, WhenToTakeOver: placementv1beta1.WhenToTakeOverTypeAlways,
			}
			g.Expect(k8sClient.Update(ctx, b)).To(Succeed())
			meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
				Type: string(placementv1beta1.ResourceBindingRolloutStarted), Status: metav1.ConditionFalse,
				Reason: placementv1beta1.BindingRolloutNotStartedYetReason, Message: "held", ObservedGeneration: b.Generation,
			})
			g.Expect(k8sClient.Status().Update(ctx, b)).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		generation := getBinding(Default, crp, "member2").Generation

		By("starting a run to the same index: the spec is in sync, so only RolloutStarted is written")
		startRun(run, crp, "1", "held", "")
		eventually(func(g Gomega) *metav1.Condition {
			return getBinding(g, crp, "member2").GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted))
		}).Should(And(beCondition(metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason, "resourceSnapshotIndex: 1, updateRun: "+run),
			HaveField("ObservedGeneration", generation)))
		Expect(getBinding(Default, crp, "member2").Generation).To(Equal(generation), "the spec was not written")

		makeAvailable(crp, "member2")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
	})

	It("with the ReportDiff apply strategy, counts a cluster done once its binding reports DiffReported at its generation", func() {
		const crp, run = "reportdiff", "reportdiff-run"
		placementFixture{name: crp, clusters: []string{"member2"}, applyStrategy: &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeReportDiff}}.create()
		createStrategy("reportdiff", placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging})
		startRun(run, crp, "1", "reportdiff", "")
		eventually(boundTo(crp, "member2")).Should(Equal("Bound@reportdiff-1-snapshot"))
		Expect(getBinding(Default, crp, "member2").Spec.ApplyStrategy).To(HaveField("Type", placementv1beta1.ApplyStrategyTypeReportDiff))

		expectStarted(run, "staging", "member2")

		By("a diff reported for the binding's previous generation not counting")
		Eventually(func(g Gomega) {
			bnd := getBinding(g, crp, "member2")
			meta.SetStatusCondition(&bnd.Status.Conditions, metav1.Condition{Type: string(placementv1beta1.ResourceBindingDiffReported), Status: metav1.ConditionTrue,
				Reason: placementv1beta1.BindingAllWorkDiffReportedReason, ObservedGeneration: bnd.Generation - 1})
			g.Expect(k8sClient.Status().Update(ctx, bnd)).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		consistently(clusterCondition(run, "staging", "member2", succeededC)).Should(BeNil())

		By("the diff reported at the binding's generation")
		setBindingCondition(crp, "member2", metav1.Condition{Type: string(placementv1beta1.ResourceBindingDiffReported), Status: metav1.ConditionTrue,
			Reason: placementv1beta1.BindingAllWorkDiffReportedReason})
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(clusterCondition(run, "staging", "member2", succeededC)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason))
		Expect(getBinding(Default, crp, "member2").GetCondition(string(placementv1beta1.ResourceBindingAvailable))).To(BeNil())
	})

	It("removes the bindings the placement let go in the deletion stage, after every update stage, then succeeds", func() {
		const crp, run = "deletion", "deletion-run"
		placementFixture{name: crp, clusters: []string{"member1", "member2"}, unscheduled: []string{"member3"}}.create()
		createStrategy("deletion", placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels(), MaxConcurrency: ptrTo(intstr.FromInt32(2))})
		startRun(run, crp, "1", "deletion", "")
		eventually(progressOf(crp, "member1", "member2")).Should(Equal([]string{"member1 updating", "member2 updating"}))

		eventually(func(g Gomega) {
			r := getRun(g, run)
			g.Expect(r.Status.PolicyObservedClusterCount).To(Equal(2))
			g.Expect(stageOf(g, r, "all").Clusters).To(HaveLen(2))
			g.Expect(r.Status.DeletionStageStatus.Clusters).To(ConsistOf(HaveField("ClusterName", "member3")))
		}).Should(Succeed())
		Expect(boundTo(crp, "member3")(Default)).To(Equal("Unscheduled@"), "nothing is removed while a stage updates")

		makeAvailable(crp, "member1")
		makeAvailable(crp, "member2")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		err := k8sClient.Get(ctx, types.NamespacedName{Name: bindingName(crp, "member3")}, &placementv1beta1.ClusterResourceBinding{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the binding of member3 is gone: %v", err)
		Expect(conditionsOf(stageOf(Default, getRun(Default, run), deleteStage).Conditions)).To(Equal([]string{
			"Progressing=True/StageUpdatingStarted", "Succeeded=True/StageUpdatingSucceeded",
		}))
		Expect(conditionsOf(clusterOf(Default, stageOf(Default, getRun(Default, run), deleteStage), "member3").Conditions)).To(Equal(succeeded))
		Expect(progressOf(crp, "member1", "member2")(Default)).To(Equal([]string{"member1 done", "member2 done"}))
	})
})
