package updaterun

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// initCase sets up what a run named <name>-run needs, with one thing wrong,
// and returns the run's placement, strategy and resource snapshot index.
type initCase func(name string) (crp, strategy, index string)

var _ = Describe("Initializing a run", func() {
	DescribeTable("a run that cannot initialize says which object to fix, and touches no cluster",
		func(name string, setup initCase, message ...string) {
			crp, strategy, index := setup(name)
			run := name + "-run"
			startRun(run, crp, index, strategy, "")

			eventually(runCondition(run, initialized)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunInitializeFailedReason, message...))
			r := getRun(Default, run)
			Expect(conditionsOf(r.Status.Conditions)).To(Equal([]string{"Initialized=False/UpdateRunInitializedFailed"}), "the run neither progresses nor ends")
			Expect(r.Status.StagesStatus).To(BeEmpty())
			Expect(approvalRequestsOf(run)(Default)).To(BeEmpty())
			bindings := &placementv1beta1.ClusterResourceBindingList{}
			Expect(k8sClient.List(ctx, bindings, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
			for _, b := range bindings.Items {
				Expect(b.Spec.State).To(Equal(placementv1beta1.BindingStateScheduled), "binding %s is untouched", b.Name)
				Expect(b.Status.Conditions).To(BeEmpty(), "binding %s is untouched", b.Name)
			}
		},
		Entry("the placement does not exist", "init-nocrp", func(name string) (string, string, string) {
			createStrategy(name, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels()})
			return name + "-missing", name, "1"
		}, `ClusterResourcePlacement "init-nocrp-missing" does not exist`, "set placementName to an existing placement"),

		Entry("the placement rolls out by itself", "init-rolling", func(name string) (string, string, string) {
			Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourcePlacement{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: placementv1beta1.PlacementSpec{
					ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
					Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.RollingUpdateRolloutStrategyType},
				},
			})).To(Succeed())
			createStrategy(name, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels()})
			return name, name, "1"
		}, `ClusterResourcePlacement "init-rolling" has rollout strategy RollingUpdate`, "spec.strategy.type External"),

		Entry("the strategy does not exist", "init-nostrategy", func(name string) (string, string, string) {
			placementFixture{name: name, clusters: []string{"member1", "member2", "member3"}}.create()
			return name, name + "-missing", "1"
		}, `ClusterStagedUpdateStrategy "init-nostrategy-missing" does not exist`),

		Entry("a cluster is selected by two stages", "init-twostages", func(name string) (string, string, string) {
			placementFixture{name: name, clusters: []string{"member1", "member2", "member3"}}.create()
			createStrategy(name,
				placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary},
				placementv1beta1.StageConfig{Name: "everyone", LabelSelector: matchLabels()},
			)
			return name, name, "1"
		}, `cluster "member1" is selected by both stage "canary" and stage "everyone"`, "make the stages' label selectors exclusive"),

		Entry("selected clusters are in no stage", "init-nostage", func(name string) (string, string, string) {
			placementFixture{name: name, clusters: []string{"member1", "member2", "member3"}}.create()
			createStrategy(name, placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging})
			return name, name, "1"
		}, "2 selected cluster(s) match no stage of the strategy: member1, member3"),

		Entry("a cluster's sorting label is not an integer", "init-badsort", func(name string) (string, string, string) {
			createCluster(name+"-1", map[string]string{"suite-spec": name, "order": "first"})
			placementFixture{name: name, clusters: []string{name + "-1"}}.create()
			createStrategy(name, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels("suite-spec", name), SortingLabelKey: ptrTo("order")})
			return name, name, "1"
		}, `stage "all" sorts by label "order"`, `cluster "init-badsort-1" has "order"="first", which is not an integer`),

		Entry("the resource snapshot index does not exist", "init-noindex", func(name string) (string, string, string) {
			placementFixture{name: name, clusters: []string{"member1", "member2", "member3"}}.create()
			createStrategy(name, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels()})
			return name, name, "7"
		}, `ClusterResourcePlacement "init-noindex" has no resource snapshot with index 7`),
	)

	It("waits for the scheduler to finish, then initializes and runs without a new run", func() {
		const crp, run = "init-scheduling", "init-scheduling-run"
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}, autoAvailable: true}.create()
		setPolicyScheduled(crp, false)
		createStrategy(crp, placementv1beta1.StageConfig{Name: "all", LabelSelector: matchLabels(), MaxConcurrency: ptrTo(intstr.FromString("100%"))})
		startRun(run, crp, "", crp, "")

		eventually(runCondition(run, initialized)).Should(beCondition(metav1.ConditionUnknown, placementv1beta1.UpdateRunInitializingReason,
			`ClusterSchedulingPolicySnapshot "init-scheduling-0"`, "fully scheduled"))
		consistently(func(g Gomega) []string {
			return []string{boundTo(crp, "member1")(g), boundTo(crp, "member2")(g), boundTo(crp, "member3")(g)}
		}).Should(Equal([]string{"Scheduled@", "Scheduled@", "Scheduled@"}))

		By("the scheduler finishing")
		setPolicyScheduled(crp, true)
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
		r := getRun(Default, run)
		Expect(r.Status.ResourceSnapshotIndexUsed).To(Equal("1"), "no index means the latest")
		Expect(runCondition(run, initialized)(Default)).To(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunInitializeSucceededReason))
		for _, c := range []string{"member1", "member2", "member3"} {
			Expect(boundTo(crp, c)(Default)).To(Equal("Bound@init-scheduling-1-snapshot"))
		}
	})

	It("with state Initialize, records the plan but touches no cluster until the state is Run", func() {
		const crp, run = "init-only", "init-only-run"
		placementFixture{name: crp, clusters: []string{"member1", "member2", "member3"}, autoAvailable: true}.create()
		createStrategy(crp,
			placementv1beta1.StageConfig{Name: "staging", LabelSelector: staging},
			placementv1beta1.StageConfig{Name: "canary", LabelSelector: canary, SortingLabelKey: ptrTo("order"), BeforeStageTasks: []placementv1beta1.StageTask{approvalTask}},
		)
		startRun(run, crp, "0", crp, placementv1beta1.StateInitialize)

		eventually(runCondition(run, initialized)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunInitializeSucceededReason))
		r := getRun(Default, run)
		Expect(r.Status.ResourceSnapshotIndexUsed).To(Equal("0"))
		Expect(r.Status.PolicyObservedClusterCount).To(Equal(3))
		Expect(stagesOf(r)).To(Equal([]stageView{
			{Name: "staging", Clusters: map[string][]string{"member2": {}}, Conditions: []string{}},
			{Name: "canary", Clusters: map[string][]string{"member3": {}, "member1": {}}, Conditions: []string{},
				Tasks: [][]string{{"Approval", "init-only-run-before-canary"}}},
			{Name: deleteStage, Clusters: map[string][]string{}, Conditions: []string{}},
		}))
		consistently(func(g Gomega) {
			for _, c := range []string{"member1", "member2", "member3"} {
				g.Expect(boundTo(crp, c)(g)).To(Equal("Scheduled@"))
			}
			g.Expect(conditionsOf(getRun(g, run).Status.Conditions)).To(Equal([]string{"Initialized=True/UpdateRunInitializedSuccessfully"}))
			g.Expect(approvalRequestsOf(run)(g)).To(BeEmpty())
		}).Should(Succeed())

		By("setting the state to Run")
		setState(run, placementv1beta1.StateRun)
		eventually(boundTo(crp, "member2")).Should(Equal("Bound@init-only-0-snapshot"))
		eventually(runCondition(run, progressing)).Should(beCondition(metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason, "init-only-run-before-canary"))
		approve("init-only-run-before-canary")
		eventually(runSucceeded(run)).Should(beCondition(metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason))
	})
})
