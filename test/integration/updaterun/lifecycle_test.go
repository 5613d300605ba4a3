package updaterun

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("A run's approval requests", func() {
	It("are asked for again when deleted before approval, and go away with the run, which leaves the bindings as they are", func() {
		const crp, run = "lifecycle", "lifecycle-run"
		const after, before = "lifecycle-run-staging", "lifecycle-run-before-canary"
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}}.create()
		createStrategy("lifecycle",
			placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging, AfterStageTasks: []placementv1beta1.StageTask{approvalTask}},
			placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary, BeforeStageTasks: []placementv1beta1.StageTask{approvalTask}},
		)
		startRun(run, crp, "1", "lifecycle", "")
		eventually(boundTo(crp, "member2")).Should(Equal("Bound@lifecycle-1-snapshot"))
		eventually(func(g Gomega) []string {
			return getRun(g, run).Finalizers
		}).Should(ContainElement(placementv1beta1.ClusterStagedUpdateRunFinalizer))
		makeAvailable(crp, "member2")

		By("deleting the after-stage approval request before anyone approved it")
		eventually(func(g Gomega) string { return getApprovalRequest(g, after).Spec.TargetStage }).Should(Equal("staging"))
		first := getApprovalRequest(Default, after)
		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		eventually(func(g Gomega) types.UID { return getApprovalRequest(g, after).UID }).ShouldNot(Or(BeEmpty(), Equal(first.UID)),
			"the run asks again with a new request")
		recreated := getApprovalRequest(Default, after)
		Expect(recreated.Status.Conditions).To(BeEmpty())
		Expect(recreated.Spec).To(Equal(placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: run, TargetStage: "staging"}))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, after))

		By("approving the new request; the next stage waits for its own approval")
		approve(after)
		eventually(approvalRequestsOf(run)).Should(ConsistOf(after, before))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, before))

		By("deleting the run")
		bindings := map[string]string{}
		for _, c := range []string{"member1", "member2", "member3"} {
			bindings[c] = getBinding(Default, crp, c).ResourceVersion
		}
		Expect(k8sClient.Delete(ctx, getRun(Default, run))).To(Succeed())
		eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: run}, &placementv1beta1.ClusterStagedUpdateRun{}))
		}).Should(BeTrue())
		Expect(approvalRequestsOf(run)(Default)).To(BeEmpty())
		consistently(func(g Gomega) map[string]string {
			now := map[string]string{}
			for c := range bindings {
				now[c] = getBinding(g, crp, c).ResourceVersion
			}
			return now
		}).Should(Equal(bindings), "the bindings stay as the run left them")
		Expect(boundTo(crp, "member2")(Default)).To(Equal("Bound@lifecycle-1-snapshot"))
		Expect(boundTo(crp, "member1")(Default)).To(Equal("Scheduled@"))
	})
})
