package updaterun

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("Stopping and resuming a run", func() {
	It("lets the cluster in flight finish, starts nothing new while stopped, and resumes where it stopped", func() {
		const crp, run = "stop-update", "stop-update-run"
		placementFixture{name: crp, clusters: []string{"member1", "member2"}}.create()
		createStrategy("stop-update", placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels()})
		startRun(run, crp, "1", "stop-update", "")
		eventually(progressOf(crp, "member1", "member2")).Should(Equal([]string{"member1 updating", "member2 waiting"}))
		expectStarted(run, "all", "member1")

		By("stopping while member1 updates")
		setState(run, placementv1beta1.StateStop)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason, `stage "all"`))
		Expect(stageCondition(run, "all", progressing)(Default)).To(beCondition(metav1.ConditionUnknown, placementv1beta1.StageUpdatingStoppingReason))
		consistently(runCondition(run, progressing)).Should(beCondition(metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason))

		By("member1 finishing: the run is stopped and member2 does not start")
		makeAvailable(crp, "member1")
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason))
		Expect(stageCondition(run, "all", progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason))
		Expect(clusterCondition(run, "all", "member1", succeededC)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason))
		consistently(progressOf(crp, "member1", "member2")).Should(Equal([]string{"member1 done", "member2 waiting"}))

		By("resuming")
		setState(run, placementv1beta1.StateRun)
		eventually(progressOf(crp, "member1", "member2")).Should(Equal([]string{"member1 done", "member2 updating"}))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason))
		Expect(stageCondition(run, "all", progressing)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason))
		makeAvailable(crp, "member2")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
	})

	It("keeps an after-stage timed wait's start through a stop, so the wait does not restart on resume", func() {
		const crp, run = "stop-wait", "stop-wait-run"
		placementFixture{name: crp, clusters: []string{"member2", "member3"}, autoAvailable: true}.create()
		createStrategy("stop-wait",
			placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging, AfterStageTasks: []placementv1beta1.StageTask{timedWaitTask(time.Minute)}},
			placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary},
		)
		startRun(run, crp, "1", "stop-wait", "")
		waitElapsed := func(g Gomega) *metav1.Condition {
			return meta.FindStatusCondition(stageOf(g, getRun(g, run), "staging").AfterStageTaskStatus[0].Conditions,
				string(placementv1beta1.StageTaskConditionWaitTimeElapsed))
		}
		eventually(waitElapsed).Should(beCondition(metav1.ConditionFalse, placementv1beta1.AfterStageTaskWaitingReason))
		waitStarted := waitElapsed(Default).LastTransitionTime

		By("stopping during the wait")
		setState(run, placementv1beta1.StateStop)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason))
		Expect(stageCondition(run, "staging", progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason))
		advanceClock(30 * time.Second)

		By("resuming after half the wait")
		setState(run, placementv1beta1.StateRun)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, "timed wait"))
		Expect(waitElapsed(Default)).To(And(
			beCondition(metav1.ConditionFalse, placementv1beta1.AfterStageTaskWaitingReason),
			HaveField("LastTransitionTime", waitStarted),
		))
		consistently(boundTo(crp, "member3")).Should(Equal("Scheduled@"))

		By("the rest of the wait passing")
		advanceClock(31 * time.Second)
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(waitElapsed(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.AfterStageTaskWaitTimeElapsedReason))
		Expect(boundTo(crp, "member3")(Default)).To(Equal("Bound@stop-wait-1-snapshot"))
	})

	It("does not act on an approval given while stopped until the run is resumed", func() {
		const crp, run, req = "stop-approval", "stop-approval-run", "stop-approval-run-before-canary"
		placementFixture{name: crp, clusters: []string{"member1", "member3"}, autoAvailable: true}.create()
		createStrategy("stop-approval", placementv1beta1.StageConfig{
			Name: "canary", LabelSelector: canary, BeforeStageTasks: []placementv1beta1.StageTask{approvalTask},
		})
		startRun(run, crp, "1", "stop-approval", "")
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, req))

		By("stopping while the stage waits for approval")
		setState(run, placementv1beta1.StateStop)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason))
		Expect(stageCondition(run, "canary", progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason))

		By("approving while stopped")
		approve(req)
		accepted := func(g Gomega) *metav1.Condition {
			return meta.FindStatusCondition(getApprovalRequest(g, req).Status.Conditions, "ApprovalAccepted")
		}
		consistently(func(g Gomega) {
			g.Expect(accepted(g)).To(BeNil())
			g.Expect(progressOf(crp, "member1", "member3")(g)).To(Equal([]string{"member1 waiting", "member3 waiting"}))
			g.Expect(runCondition(run, progressing)(g)).To(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason))
		}).Should(Succeed())

		By("resuming")
		setState(run, placementv1beta1.StateRun)
		eventually(accepted).Should(beCondition(metav1.ConditionTrue, placementv1beta1.ApprovalRequestApprovalAcceptedReason))
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(progressOf(crp, "member1", "member3")(Default)).To(Equal([]string{"member1 done", "member3 done"}))
	})

	It("stops in the deletion stage once the binding being removed is gone, and finishes on resume", func() {
		const crp, run = "stop-delete", "stop-delete-run"
		placementFixture{name: crp, clusters: []string{"member2"}, unscheduled: []string{"member3"}, autoAvailable: true}.create()
		updateBinding(crp, "member3", func(b *placementv1beta1.ClusterResourceBinding) { controllerutil.AddFinalizer(b, holdFinalizer) })
		createStrategy("stop-delete", placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels()})
		startRun(run, crp, "1", "stop-delete", "")

		By("the deletion stage removing member3's binding, which its Works hold")
		eventually(func(g Gomega) bool { return getBinding(g, crp, "member3").DeletionTimestamp != nil }).Should(BeTrue())
		eventually(stageCondition(run, deleteStage, progressing)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason))

		By("stopping while the binding is being removed")
		setState(run, placementv1beta1.StateStop)
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason))
		Expect(stageCondition(run, deleteStage, progressing)(Default)).To(beCondition(metav1.ConditionUnknown, placementv1beta1.StageUpdatingStoppingReason))
		consistently(runCondition(run, progressing)).Should(beCondition(metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason))

		By("the binding going away")
		updateBinding(crp, "member3", func(b *placementv1beta1.ClusterResourceBinding) { controllerutil.RemoveFinalizer(b, holdFinalizer) })
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: bindingName(crp, "member3")}, &placementv1beta1.ClusterResourceBinding{}))
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason))
		Expect(stageCondition(run, deleteStage, progressing)(Default)).To(beCondition(metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason))
		consistently(runSucceeded(run)).Should(BeNil(), "a stopped run does not finish")

		By("resuming")
		setState(run, placementv1beta1.StateRun)
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		Expect(conditionsOf(clusterOf(Default, stageOf(Default, getRun(Default, run), deleteStage), "member3").Conditions)).To(Equal(succeeded))
	})
})
