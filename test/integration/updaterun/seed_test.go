package updaterun

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// stageView is what the tutorial prints about a stage.
type stageView struct {
	Name       string
	Clusters   map[string][]string
	Conditions []string
	Tasks      [][]string
}

// stagesOf views the run's stages and then its deletion stage. A run whose
// status is not yet written has neither, so polling callers keep polling
// rather than dereference a missing deletion stage.
func stagesOf(run *placementv1beta1.ClusterStagedUpdateRun) []stageView {
	var out []stageView
	stages := append([]placementv1beta1.StageUpdatingStatus{}, run.Status.StagesStatus...)
	if run.Status.DeletionStageStatus != nil {
		stages = append(stages, *run.Status.DeletionStageStatus)
	}
	for _, s := range stages {
		v := stageView{Name: s.StageName, Clusters: map[string][]string{}, Conditions: conditionsOf(s.Conditions)}
		for _, c := range s.Clusters {
			v.Clusters[c.ClusterName] = conditionsOf(c.Conditions)
		}
		for _, t := range append(append([]placementv1beta1.StageTaskStatus{}, s.BeforeStageTaskStatus...), s.AfterStageTaskStatus...) {
			v.Tasks = append(v.Tasks, append([]string{string(t.Type), t.ApprovalRequestName}, conditionsOf(t.Conditions)...))
		}
		out = append(out, v)
	}
	return out
}

// afterStageConditions views the conditions of the first after-stage task of
// a run's stage. It fails the poll, rather than panics, while the run's status
// is not yet written: the binding a test waits for first is written before it.
func afterStageConditions(g Gomega, run string, stage int) []string {
	stages := getRun(g, run).Status.StagesStatus
	g.Expect(len(stages)).To(BeNumerically(">", stage))
	g.Expect(stages[stage].AfterStageTaskStatus).NotTo(BeEmpty())
	return conditionsOf(stages[stage].AfterStageTaskStatus[0].Conditions)
}

var (
	started   = []string{"Started=True/ClusterUpdatingStarted"}
	succeeded = []string{"Started=True/ClusterUpdatingStarted", "Succeeded=True/ClusterUpdatingSucceeded"}
	stageDone = []string{"Progressing=False/StageUpdatingWaiting", "Succeeded=True/StageUpdatingSucceeded"}
)

var _ = Describe("The tutorial's staged rollout", Ordered, func() {
	const crp = "example-placement"

	BeforeAll(func() {
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}}.create()
		seedStrategy("example-strategy")
	})

	It("initializes example-run as the tutorial shows and starts with the staging stage", func() {
		createRun("example-run", crp, "1", "example-strategy", "")
		Eventually(boundTo(crp, "member2")).WithTimeout(timeout).WithPolling(interval).Should(Equal("Bound@example-placement-1-snapshot"))
		// The binding is written before the run's status, so wait for both.
		Eventually(func(g Gomega) []stageView { return stagesOf(getRun(g, "example-run")) }).WithTimeout(timeout).WithPolling(interval).Should(Equal([]stageView{
			{Name: "staging", Clusters: map[string][]string{"member2": started}, Conditions: []string{"Progressing=True/StageUpdatingStarted"},
				Tasks: [][]string{{"TimedWait", ""}}},
			{Name: "canary", Clusters: map[string][]string{"member3": {}, "member1": {}}, Conditions: []string{},
				Tasks: [][]string{{"Approval", "example-run-canary"}}},
			{Name: "kubernetes-fleet.io/deleteStage", Clusters: map[string][]string{}, Conditions: []string{}},
		}))

		run := getRun(Default, "example-run")
		Expect(run.Status.PolicySnapshotIndexUsed).To(Equal("0"))
		Expect(run.Status.ResourceSnapshotIndexUsed).To(Equal("1"))
		Expect(run.Status.PolicyObservedClusterCount).To(Equal(3))
		Expect(run.Status.DeletionStageStatus.StageName).To(Equal("kubernetes-fleet.io/deleteStage"))
		Expect(run.Status.DeletionStageStatus.Clusters).To(BeEmpty())
		Expect(run.Status.ApplyStrategy).To(Equal(&placementv1beta1.ApplyStrategy{
			Type: placementv1beta1.ApplyStrategyTypeClientSideApply, ComparisonOption: placementv1beta1.ComparisonOptionTypePartialComparison,
			WhenToApply: placementv1beta1.WhenToApplyTypeAlways, WhenToTakeOver: placementv1beta1.WhenToTakeOverTypeAlways,
		}))
		init := meta.FindStatusCondition(run.Status.Conditions, "Initialized")
		Expect(init).To(And(Not(BeNil()), HaveField("Reason", "UpdateRunInitializedSuccessfully"), HaveField("Message", "ClusterStagedUpdateRun initialized successfully")))

		By("keeping the strategy as the tutorial prints it")
		out := kubectl("", "get", "csur", "example-run", "-o", "yaml")
		Expect(out).To(ContainSubstring("waitTime: 1m0s"))
		Expect(out).To(ContainSubstring("waitTime: 1h0m0s"))
		Expect(out).To(ContainSubstring("clusters: []"))

		By("binding member2, naming the run, and leaving its status to the work generator")
		b := getBinding(Default, crp, "member2")
		Expect(b.Spec.ApplyStrategy).To(Equal(run.Status.ApplyStrategy))
		Expect(b.Annotations).To(HaveKeyWithValue(placementv1beta1.BindingUpdateRunAnnotation, "example-run"))
		Expect(b.Status.Conditions).To(BeEmpty())
		Consistently(boundTo(crp, "member3")).WithTimeout(time.Second).WithPolling(interval).Should(Equal("Scheduled@"))

		Expect(run.Status.StagesStatus[1].Clusters[0].ClusterName).To(Equal("member3"), "canary is sorted by the order label")
		Expect(framework.Table(kubectl("", "get", "csur", "example-run"))).To(HaveExactElements(
			[]string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "SUCCEEDED", "AGE"},
			HaveExactElements("example-run", crp, "1", "0", "True", Not(BeEmpty())),
		))
	})

	It("waits a minute after staging, then updates canary one cluster at a time in label order", func() {
		makeAvailable(crp, "member2")
		Eventually(func(g Gomega) []string { return afterStageConditions(g, "example-run", 0) }).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{"WaitTimeElapsed=False/AfterStageTaskWaiting"}))
		Consistently(boundTo(crp, "member3")).WithTimeout(time.Second).WithPolling(interval).Should(Equal("Scheduled@"))

		clk.step(time.Minute)
		poke()
		Eventually(boundTo(crp, "member3")).WithTimeout(timeout).WithPolling(interval).Should(Equal("Bound@example-placement-1-snapshot"))
		Expect(boundTo(crp, "member1")(Default)).To(Equal("Scheduled@"))

		makeAvailable(crp, "member3")
		Eventually(boundTo(crp, "member1")).WithTimeout(timeout).WithPolling(interval).Should(Equal("Bound@example-placement-1-snapshot"))
		Eventually(func(g Gomega) []stageView { return stagesOf(getRun(g, "example-run"))[:2] }).WithTimeout(timeout).WithPolling(interval).Should(Equal([]stageView{
			{Name: "staging", Clusters: map[string][]string{"member2": succeeded}, Conditions: stageDone,
				Tasks: [][]string{{"TimedWait", "", "WaitTimeElapsed=True/AfterStageTaskWaitTimeElapsed"}}},
			{Name: "canary", Clusters: map[string][]string{"member3": succeeded, "member1": started}, Conditions: []string{"Progressing=True/StageUpdatingStarted"},
				Tasks: [][]string{{"Approval", "example-run-canary"}}},
		}))
		run := getRun(Default, "example-run")
		Expect(conditionsOf(run.Status.Conditions)).To(Equal([]string{"Initialized=True/UpdateRunInitializedSuccessfully", "Progressing=True/UpdateRunStarted"}))

		makeAvailable(crp, "member1")
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterapprovalrequest"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "UPDATE-RUN", "STAGE", "APPROVED", "APPROVALACCEPTED", "AGE"},
			HaveExactElements("example-run-canary", "example-run", "canary", Not(BeEmpty())),
		))
		Eventually(func(g Gomega) *metav1.Condition {
			return meta.FindStatusCondition(getRun(g, "example-run").Status.Conditions, "Progressing")
		}).WithTimeout(timeout).WithPolling(interval).Should(And(HaveField("Status", metav1.ConditionFalse), HaveField("Reason", "UpdateRunWaiting")))
		req := &placementv1beta1.ClusterApprovalRequest{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "example-run-canary"}, req)).To(Succeed())
		Expect(req.Labels).To(Equal(map[string]string{
			"kubernetes-fleet.io/targetUpdateRun": "example-run", "kubernetes-fleet.io/targetUpdatingStage": "canary",
			"kubernetes-fleet.io/taskType": "afterStage", "kubernetes-fleet.io/isLatestUpdateRunApproval": "true",
		}))
		Expect(req.Spec).To(Equal(placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: "example-run", TargetStage: "canary"}))
	})

	It("succeeds once the approval is patched with kubectl, as in the tutorial", func() {
		approve("example-run-canary")
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "crsur", "example-run"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "SUCCEEDED", "AGE"},
			HaveExactElements("example-run", crp, "1", "0", "True", "True", Not(BeEmpty())),
		))
		Expect(framework.Table(kubectl("", "get", "clusterapprovalrequest", "example-run-canary"))[1]).To(
			HaveExactElements("example-run-canary", "example-run", "canary", "True", "True", Not(BeEmpty())))

		run := getRun(Default, "example-run")
		Expect(conditionsOf(run.Status.Conditions)).To(Equal([]string{
			"Initialized=True/UpdateRunInitializedSuccessfully", "Progressing=True/UpdateRunStarted", "Succeeded=True/UpdateRunSucceeded",
		}))
		Expect(stagesOf(run)).To(Equal([]stageView{
			{Name: "staging", Clusters: map[string][]string{"member2": succeeded}, Conditions: stageDone,
				Tasks: [][]string{{"TimedWait", "", "WaitTimeElapsed=True/AfterStageTaskWaitTimeElapsed"}}},
			{Name: "canary", Clusters: map[string][]string{"member3": succeeded, "member1": succeeded}, Conditions: stageDone,
				Tasks: [][]string{{"Approval", "example-run-canary", "ApprovalRequestCreated=True/AfterStageTaskApprovalRequestCreated", "ApprovalRequestApproved=True/AfterStageTaskApprovalRequestApproved"}}},
			{Name: "kubernetes-fleet.io/deleteStage", Clusters: map[string][]string{},
				Conditions: []string{"Progressing=True/StageUpdatingStarted", "Succeeded=True/StageUpdatingSucceeded"}},
		}))
		for _, s := range run.Status.StagesStatus {
			Expect(s.StartTime).NotTo(BeNil())
			Expect(s.EndTime).NotTo(BeNil())
		}
	})

	It("rolls every cluster back with example-run-2 naming index 0", func() {
		Eventually(func() error {
			p := &placementv1beta1.ClusterResourcePlacement{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Name: crp}, p); err != nil {
				return err
			}
			p.Labels = map[string]string{autoAvailableLabel: "true"}
			return k8sClient.Update(ctx, p)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		createRun("example-run-2", crp, "0", "example-strategy", "")
		Eventually(boundTo(crp, "member2")).WithTimeout(timeout).WithPolling(interval).Should(Equal("Bound@example-placement-0-snapshot"))
		Eventually(func(g Gomega) []string { return afterStageConditions(g, "example-run-2", 0) }).WithTimeout(timeout).WithPolling(interval).Should(Equal([]string{"WaitTimeElapsed=False/AfterStageTaskWaiting"}))
		clk.step(time.Minute)
		poke()
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: "example-run-2-canary"}, &placementv1beta1.ClusterApprovalRequest{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		approve("example-run-2-canary")
		Eventually(func(g Gomega) bool {
			return meta.IsStatusConditionTrue(getRun(g, "example-run-2").Status.Conditions, "Succeeded")
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		for _, cluster := range []string{"member1", "member2", "member3"} {
			Expect(boundTo(crp, cluster)(Default)).To(Equal("Bound@example-placement-0-snapshot"))
		}
	})
})

var _ = Describe("Event-driven progress", func() {
	It("starts the next stage as soon as the last cluster of a stage is available, with the clock frozen", func() {
		const crp = "frozen-clock"
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}}.create()
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateStrategy{
			ObjectMeta: metav1.ObjectMeta{Name: "no-gates"},
			Spec: placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
				{Name: "staging", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "staging"}}},
				{Name: "canary", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "canary"}}},
			}},
		})).To(Succeed())
		thaw := clk.freeze()
		DeferCleanup(thaw)

		createRun("frozen-run", crp, "1", "no-gates", "")
		Eventually(boundTo(crp, "member2")).WithTimeout(timeout).WithPolling(10 * time.Millisecond).Should(Equal("Bound@frozen-clock-1-snapshot"))
		Consistently(boundTo(crp, "member3")).WithTimeout(time.Second).WithPolling(interval).Should(Equal("Scheduled@"))

		start := time.Now()
		makeAvailable(crp, "member2")
		Eventually(func(g Gomega) string {
			return boundTo(crp, "member1")(g) + " " + boundTo(crp, "member3")(g)
		}).WithTimeout(timeout).WithPolling(10 * time.Millisecond).Should(ContainSubstring("Bound@frozen-clock-1-snapshot"))
		latency := time.Since(start)
		AddReportEntry("binding Available to next stage started", latency.String())
		GinkgoWriter.Printf("Latency from the last staging cluster turning Available to the canary stage starting: %s\n", latency)
	})
})
