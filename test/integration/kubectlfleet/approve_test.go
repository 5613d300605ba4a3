package kubectlfleet

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("kubectl fleet approve", func() {
	It("approves a request by name at its generation, records who approved it, and keeps its other conditions", func() {
		createRun("by-name")
		req := createRequest("by-name-canary", "by-name", "canary", placementv1beta1.AfterStageTaskLabelValue)
		// Another tool's condition on the request, which approving must keep.
		meta.SetStatusCondition(&req.Status.Conditions, metav1.Condition{
			Type: "Reviewed", Status: metav1.ConditionTrue, Reason: "ReviewedByBob", Message: "bob had a look", ObservedGeneration: req.Generation,
		})
		Expect(k8sClient.Status().Update(ctx, req)).To(Succeed())

		Expect(fleet("approve", "by-name-canary")).To(Equal(approvedOutput("by-name-canary")))

		approved := getRequest("by-name-canary")
		Expect(approved.Generation).To(BeNumerically(">", 0))
		Expect(meta.FindStatusCondition(approved.Status.Conditions, "Approved")).To(beApprovedBy("admin", approved.Generation))
		Expect(meta.FindStatusCondition(approved.Status.Conditions, "Reviewed")).To(HaveField("Message", "bob had a look"))

		By("approving it again, which changes nothing")
		Expect(fleet("approve", "clusterapprovalrequest.placement.kubernetes-fleet.io/by-name-canary")).To(Equal(
			"clusterapprovalrequest.placement.kubernetes-fleet.io/by-name-canary already approved (Approved by admin with kubectl fleet approve)\n"))
		Expect(getRequest("by-name-canary").ResourceVersion).To(Equal(approved.ResourceVersion))
	})

	It("finds the approval of a run's stage by its labels: after the stage, or before it with --before", func() {
		createRun("by-labels")
		createRequest("by-labels-before-canary", "by-labels", "canary", placementv1beta1.BeforeStageTaskLabelValue)
		createRequest("by-labels-canary", "by-labels", "canary", placementv1beta1.AfterStageTaskLabelValue)
		createRun("by-labels-other")
		createRequest("by-labels-other-canary", "by-labels-other", "canary", placementv1beta1.AfterStageTaskLabelValue)

		Expect(fleet("approve", "--run", "by-labels", "--stage", "canary")).To(Equal(approvedOutput("by-labels-canary")))
		Expect(approvedCondition("by-labels-canary")).To(beApprovedBy("admin", 1))
		Expect(approvedCondition("by-labels-before-canary")).To(BeNil())
		Expect(approvedCondition("by-labels-other-canary")).To(BeNil())

		Expect(fleet("approve", "--run", "by-labels", "--stage", "canary", "--before")).To(Equal(approvedOutput("by-labels-before-canary")))
		Expect(approvedCondition("by-labels-before-canary")).To(beApprovedBy("admin", 1))
		Expect(approvedCondition("by-labels-other-canary")).To(BeNil())
	})

	It("records the user the API server authenticates, for an approver allowed only to approve", func() {
		kubeconfig := writeApproverKubeconfig(testEnv, "alice")
		createRun("by-alice")
		createRequest("by-alice-canary", "by-alice", "canary", placementv1beta1.AfterStageTaskLabelValue)

		r := kubectlFleet(kubeconfig, clock.RealClock{}, "approve", "--run", "by-alice", "--stage", "canary")
		Expect(r.err).NotTo(HaveOccurred())
		Expect(r.out).To(Equal(approvedOutput("by-alice-canary")))
		// Her kubeconfig calls its user "envtest": the name comes from the server.
		Expect(approvedCondition("by-alice-canary")).To(beApprovedBy("alice", 1))
	})

	It("refuses, saying why, to approve what nothing would act on", func() {
		By("a request that does not exist")
		Expect(fleetFails("approve", "no-such-request")).To(MatchError(ContainSubstring(`ClusterApprovalRequest "no-such-request" not found`)))

		By("a request whose approval the run already accepted")
		createRun("consumed")
		req := createRequest("consumed-canary", "consumed", "canary", placementv1beta1.AfterStageTaskLabelValue)
		meta.SetStatusCondition(&req.Status.Conditions, metav1.Condition{
			Type: string(placementv1beta1.ApprovalRequestConditionApprovalAccepted), Status: metav1.ConditionTrue,
			Reason: placementv1beta1.ApprovalRequestApprovalAcceptedReason, ObservedGeneration: req.Generation,
		})
		Expect(k8sClient.Status().Update(ctx, req)).To(Succeed())
		Expect(fleetFails("approve", "consumed-canary")).To(MatchError(ContainSubstring(`ClusterApprovalRequest "consumed-canary" was already consumed`)))
		Expect(approvedCondition("consumed-canary")).To(BeNil())

		By("a request of a run that has finished")
		run := createRun("finished")
		meta.SetStatusCondition(&run.Status.Conditions, metav1.Condition{
			Type: string(placementv1beta1.StagedUpdateRunConditionSucceeded), Status: metav1.ConditionFalse,
			Reason: placementv1beta1.UpdateRunFailedReason, ObservedGeneration: run.Generation,
		})
		Expect(k8sClient.Status().Update(ctx, run)).To(Succeed())
		createRequest("finished-canary", "finished", "canary", placementv1beta1.AfterStageTaskLabelValue)
		Expect(fleetFails("approve", "finished-canary")).To(MatchError(ContainSubstring(`which has already finished (Succeeded=False, UpdateRunFailed)`)))
		Expect(approvedCondition("finished-canary")).To(BeNil())

		By("a stage whose approval the run has not asked for yet")
		createRun("not-yet")
		Expect(fleetFails("approve", "--run", "not-yet", "--stage", "canary")).To(MatchError(ContainSubstring(
			`no ClusterApprovalRequest for the end (after-stage task) of stage "canary" of update run "not-yet" yet`)))

		By("a run that does not exist")
		Expect(fleetFails("approve", "--run", "no-such-run", "--stage", "canary")).To(MatchError(`ClusterStagedUpdateRun "no-such-run" not found`))
	})
})
