package updaterun

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
)

// autoAvailableLabel on a placement makes the simulated member report its
// bound clusters Available as soon as their rollout starts.
const autoAvailableLabel = "test.flotilla.dev/auto-available"

// seedClusters are the tutorial's member clusters and their labels.
var seedClusters = map[string]map[string]string{
	"member1": {"environment": "canary", "order": "2"},
	"member2": {"environment": "staging"},
	"member3": {"environment": "canary", "order": "1"},
}

func createSeedClusters() {
	GinkgoHelper()
	for name, labels := range seedClusters {
		createCluster(name, labels)
	}
}

func createCluster(name string, labels map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
		},
	})).To(Succeed())
}

// poke wakes every active run, as a member cluster leaving the fleet does;
// tests use it after moving the clock.
func poke() {
	GinkgoHelper()
	name := "poke-" + rand.String(6)
	createCluster(name, nil)
	Expect(k8sClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
}

// placementFixture is an External placement scheduled on clusters, with a
// fully scheduled policy snapshot <crp>-0, resource snapshots <crp>-0 and
// <crp>-1, and one Scheduled binding per cluster.
type placementFixture struct {
	name     string
	clusters []string
	// unscheduled clusters get an Unscheduled binding (to be removed by runs).
	unscheduled []string
	// autoAvailable makes the simulated member report bindings Available.
	autoAvailable bool
	applyStrategy *placementv1beta1.ApplyStrategy
}

func (f placementFixture) create() {
	GinkgoHelper()
	crp := &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: f.name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
			Policy:            &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType},
			Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType, ApplyStrategy: f.applyStrategy},
		},
	}
	if f.autoAvailable {
		crp.Labels = map[string]string{autoAvailableLabel: "true"}
	}
	Expect(k8sClient.Create(ctx, crp)).To(Succeed())

	policy := &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: f.name + "-0",
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: f.name,
				placementv1beta1.PolicyIndexLabel:       "0",
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
		},
		Spec: placementv1beta1.SchedulingPolicySnapshotSpec{Policy: crp.Spec.Policy, PolicyHash: []byte("hash")},
	}
	Expect(k8sClient.Create(ctx, policy)).To(Succeed())
	policy.Status.ObservedCRPGeneration = 1
	policy.Status.Conditions = []metav1.Condition{{
		Type: string(placementv1beta1.PolicySnapshotScheduled), Status: metav1.ConditionTrue,
		Reason: placementv1beta1.PolicySnapshotFulfilledReason, ObservedGeneration: policy.Generation, LastTransitionTime: metav1.Now(),
	}}
	Expect(k8sClient.Status().Update(ctx, policy)).To(Succeed())

	for i, value := range []string{"value1", "value2"} {
		latest := fmt.Sprint(i == 1)
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourceSnapshot{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%d-snapshot", f.name, i),
				Labels: map[string]string{
					placementv1beta1.PlacementTrackingLabel: f.name,
					placementv1beta1.ResourceIndexLabel:     fmt.Sprint(i),
					placementv1beta1.IsLatestSnapshotLabel:  latest,
				},
				Annotations: map[string]string{
					placementv1beta1.ResourceGroupHashAnnotation:         fmt.Sprintf("%064d", i),
					placementv1beta1.NumberOfResourceSnapshotsAnnotation: "1",
				},
			},
			Spec: placementv1beta1.ResourceSnapshotSpec{SelectedResources: []placementv1beta1.ResourceContent{{RawExtension: runtime.RawExtension{
				Raw: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"test-cm","namespace":"test-namespace"},"data":{"key":"` + value + `"}}`),
			}}}},
		})).To(Succeed())
	}

	for _, cluster := range f.clusters {
		f.createBinding(cluster, placementv1beta1.BindingStateScheduled)
	}
	for _, cluster := range f.unscheduled {
		f.createBinding(cluster, placementv1beta1.BindingStateUnscheduled)
	}
}

func (f placementFixture) createBinding(cluster string, state placementv1beta1.BindingState) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:   bindingName(f.name, cluster),
			Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: f.name},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        state,
			TargetCluster:                cluster,
			SchedulingPolicySnapshotName: f.name + "-0",
			ClusterDecision:              placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by scheduling policy"},
		},
	})).To(Succeed())
}

func bindingName(crp, cluster string) string { return crp + "-" + cluster }

// seedStrategy creates the tutorial's strategy under name.
func seedStrategy(name string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateStrategy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
			{
				Name:            "staging",
				LabelSelector:   &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "staging"}},
				AfterStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}}},
			},
			{
				Name:            "canary",
				LabelSelector:   &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "canary"}},
				SortingLabelKey: ptrTo("order"),
				AfterStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeApproval}},
			},
		}},
	})).To(Succeed())
}

func ptrTo[T any](v T) *T { return &v }

func createRun(name, crp, index, strategy string, state placementv1beta1.State) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.UpdateRunSpec{
			PlacementName: crp, ResourceSnapshotIndex: index, StagedUpdateStrategyName: strategy, State: state,
		},
	})).To(Succeed())
}

func getRun(g Gomega, name string) *placementv1beta1.ClusterStagedUpdateRun {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, run)).To(Succeed())
	return run
}

func getBinding(g Gomega, crp, cluster string) *placementv1beta1.ClusterResourceBinding {
	b := &placementv1beta1.ClusterResourceBinding{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: bindingName(crp, cluster)}, b)).To(Succeed())
	return b
}

// conditionsOf renders conditions as "Type=Status/Reason".
func conditionsOf(conds []metav1.Condition) []string {
	out := make([]string, 0, len(conds))
	for _, c := range conds {
		out = append(out, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return out
}

// boundTo returns where a cluster's binding points: "<state>@<snapshot>".
func boundTo(crp, cluster string) func(Gomega) string {
	return func(g Gomega) string {
		b := getBinding(g, crp, cluster)
		return fmt.Sprintf("%s@%s", b.Spec.State, b.Spec.ResourceSnapshotName)
	}
}

// makeAvailable reports a binding Available at its generation, as the work
// generator does once the member applied everything.
func makeAvailable(crp, cluster string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		b := getBinding(g, crp, cluster)
		setAvailable(b)
		g.Expect(k8sClient.Status().Update(ctx, b)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// setAvailable writes what the work generator reports once the member
// applied everything, RolloutStarted included (it writes that itself for
// External placements).
func setAvailable(b *placementv1beta1.ClusterResourceBinding) {
	for _, t := range []placementv1beta1.ResourceBindingConditionType{
		placementv1beta1.ResourceBindingRolloutStarted, placementv1beta1.ResourceBindingOverridden, placementv1beta1.ResourceBindingWorkSynchronized,
		placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable,
	} {
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: string(t), Status: metav1.ConditionTrue, Reason: "Simulated", ObservedGeneration: b.Generation})
	}
}

// approve approves an approval request the way the tutorial does.
func approve(name string) {
	GinkgoHelper()
	kubectl("", "patch", "clusterapprovalrequests", name, "--type=merge", "-p",
		`{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm","lastTransitionTime":"`+
			time.Now().UTC().Format(time.RFC3339)+`","observedGeneration":1}]}}`, "--subresource=status")
}

// memberSimulator reports the bound clusters of placements labelled with
// autoAvailableLabel Available at the binding's generation, as the work
// generator and the member agent would.
type memberSimulator struct {
	client client.Client
}

func (m *memberSimulator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("member-simulator").For(&placementv1beta1.ClusterResourceBinding{}).Complete(m)
}

func (m *memberSimulator) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	b := &placementv1beta1.ClusterResourceBinding{}
	if err := m.client.Get(ctx, req.NamespacedName, b); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	reqs := handlers.ParentPlacement(ctx, b)
	if len(reqs) == 0 || b.Spec.State != placementv1beta1.BindingStateBound {
		return reconcile.Result{}, nil
	}
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := m.client.Get(ctx, reqs[0].NamespacedName, crp); err != nil || crp.Labels[autoAvailableLabel] != "true" {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if available := b.GetCondition(string(placementv1beta1.ResourceBindingAvailable)); available != nil && available.ObservedGeneration == b.Generation {
		return reconcile.Result{}, nil
	}
	setAvailable(b)
	return reconcile.Result{}, m.client.Status().Update(ctx, b)
}

// consistentlyFor is how long a spec watches for something not to happen.
const consistentlyFor = time.Second

// eventually and consistently use the suite's shared timeouts. Failures are
// reported where Should is called.
func eventually(actual any) AsyncAssertion {
	return Eventually(actual).WithTimeout(timeout).WithPolling(interval)
}

func consistently(actual any) AsyncAssertion {
	return Consistently(actual).WithTimeout(consistentlyFor).WithPolling(interval)
}

// createSpecClusters creates n member clusters <spec>-1..<spec>-n labelled
// suite-spec=<spec>, for specs that need clusters of their own.
func createSpecClusters(spec string, n int) []string {
	GinkgoHelper()
	names := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%s-%d", spec, i)
		createCluster(name, map[string]string{"suite-spec": spec})
		names = append(names, name)
	}
	return names
}

// matchLabels selects member clusters by label pairs key, value, ...; no
// pairs gives the empty selector, which selects every cluster of the run.
func matchLabels(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

var approvalTask = placementv1beta1.StageTask{Type: placementv1beta1.StageTaskTypeApproval}

func timedWaitTask(d time.Duration) placementv1beta1.StageTask {
	return placementv1beta1.StageTask{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: d}}
}

func createStrategy(name string, stages ...placementv1beta1.StageConfig) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateStrategy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       placementv1beta1.UpdateStrategySpec{Stages: stages},
	})).To(Succeed())
}

// setState changes a run's state the way the tutorial does.
func setState(run string, state placementv1beta1.State) {
	GinkgoHelper()
	kubectl("", "patch", "csur", run, "--type=merge", "-p", fmt.Sprintf(`{"spec":{"state":%q}}`, state))
}

// stageOf returns a run's stage by name; the deletion stage is
// placementv1beta1.UpdateRunDeleteStageName.
func stageOf(g Gomega, run *placementv1beta1.ClusterStagedUpdateRun, name string) *placementv1beta1.StageUpdatingStatus {
	if name == placementv1beta1.UpdateRunDeleteStageName {
		g.Expect(run.Status.DeletionStageStatus).NotTo(BeNil(), "run %s has no deletion stage", run.Name)
		return run.Status.DeletionStageStatus
	}
	for i := range run.Status.StagesStatus {
		if run.Status.StagesStatus[i].StageName == name {
			return &run.Status.StagesStatus[i]
		}
	}
	g.Expect(run.Status.StagesStatus).To(ContainElement(HaveField("StageName", name)), "run %s has no stage %s", run.Name, name)
	return nil
}

func clusterOf(g Gomega, s *placementv1beta1.StageUpdatingStatus, name string) *placementv1beta1.ClusterUpdatingStatus {
	for i := range s.Clusters {
		if s.Clusters[i].ClusterName == name {
			return &s.Clusters[i]
		}
	}
	g.Expect(s.Clusters).To(ContainElement(HaveField("ClusterName", name)), "stage %s has no cluster %s", s.StageName, name)
	return nil
}

// runCondition, stageCondition and clusterCondition read one condition of a
// run, of one of its stages, or of one cluster of a stage (nil when absent).
func runCondition(run, condType string) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		return meta.FindStatusCondition(getRun(g, run).Status.Conditions, condType)
	}
}

func stageCondition(run, stage, condType string) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		return meta.FindStatusCondition(stageOf(g, getRun(g, run), stage).Conditions, condType)
	}
}

func clusterCondition(run, stage, cluster, condType string) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		return meta.FindStatusCondition(clusterOf(g, stageOf(g, getRun(g, run), stage), cluster).Conditions, condType)
	}
}

// beCondition matches a condition with a status and reason, and a message
// matching each of msg when given.
func beCondition(status metav1.ConditionStatus, reason string, msg ...string) OmegaMatcher {
	ms := []OmegaMatcher{Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason)}
	for _, m := range msg {
		ms = append(ms, HaveField("Message", ContainSubstring(m)))
	}
	return And(ms...)
}

// runSucceeded reports whether a run shows Succeeded=True.
func runSucceeded(run string) func(Gomega) *metav1.Condition {
	return runCondition(run, string(placementv1beta1.StagedUpdateRunConditionSucceeded))
}

// updatingClusters returns which of a placement's clusters are bound but not
// yet Available at their binding's generation: the clusters a run is
// updating right now.
func updatingClusters(crp string, clusters ...string) func(Gomega) []string {
	return func(g Gomega) []string {
		out := []string{}
		for _, c := range clusters {
			b := getBinding(g, crp, c)
			a := b.GetCondition(string(placementv1beta1.ResourceBindingAvailable))
			if b.Spec.State == placementv1beta1.BindingStateBound && (a == nil || a.Status != metav1.ConditionTrue || a.ObservedGeneration != b.Generation) {
				out = append(out, c)
			}
		}
		return out
	}
}

// setBindingCondition writes a condition on a cluster's binding at the
// binding's generation, as the work generator reports progress.
func setBindingCondition(crp, cluster string, cond metav1.Condition) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		b := getBinding(g, crp, cluster)
		cond.ObservedGeneration = b.Generation
		meta.SetStatusCondition(&b.Status.Conditions, cond)
		g.Expect(k8sClient.Status().Update(ctx, b)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// updateBinding changes a cluster's binding, as the scheduler would.
func updateBinding(crp, cluster string, change func(*placementv1beta1.ClusterResourceBinding)) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		b := getBinding(g, crp, cluster)
		change(b)
		g.Expect(k8sClient.Update(ctx, b)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// holdFinalizer keeps a deleted binding around until a test releases it,
// as the work generator does while it removes the cluster's Works.
const holdFinalizer = "test.flotilla.dev/hold"

// setPolicyScheduled reports a placement's policy snapshot fully scheduled
// or not, as the scheduler does.
func setPolicyScheduled(crp string, scheduled bool) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		p := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: crp + "-0"}, p)).To(Succeed())
		c := metav1.Condition{Type: string(placementv1beta1.PolicySnapshotScheduled), Status: metav1.ConditionTrue,
			Reason: placementv1beta1.PolicySnapshotFulfilledReason, ObservedGeneration: p.Generation}
		if !scheduled {
			c.Status, c.Reason, c.Message = metav1.ConditionFalse, "SchedulingPolicyUnfulfilled", "the scheduler is still picking clusters"
		}
		meta.SetStatusCondition(&p.Status.Conditions, c)
		g.Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

func getApprovalRequest(g Gomega, name string) *placementv1beta1.ClusterApprovalRequest {
	req := &placementv1beta1.ClusterApprovalRequest{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, req)).To(Succeed())
	return req
}

// approvalRequestsOf lists the names of a run's approval requests.
func approvalRequestsOf(run string) func(Gomega) []string {
	return func(g Gomega) []string {
		list := &placementv1beta1.ClusterApprovalRequestList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.TargetUpdateRunLabel: run})).To(Succeed())
		out := []string{}
		for _, r := range list.Items {
			out = append(out, r.Name)
		}
		return out
	}
}

// advanceClock moves the controller's clock forward by d and wakes the
// active runs, as the passing of d would.
func advanceClock(d time.Duration) {
	GinkgoHelper()
	clk.step(d)
	poke()
}

// startRun creates a run for one spec and deletes it when the spec ends, so
// that its approval requests do not show up in later specs' kubectl output.
func startRun(name, crp, index, strategy string, state placementv1beta1.State) {
	GinkgoHelper()
	createRun(name, crp, index, strategy, state)
	DeferCleanup(func() {
		run := &placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Name: name}}
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, run))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: name}, run))
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "run %s is deleted", name)
	})
}

// expectStarted waits until a run records that it started updating a
// cluster: the binding moves first, the run's status follows.
func expectStarted(run, stage, cluster string) {
	GinkgoHelper()
	Eventually(clusterCondition(run, stage, cluster, string(placementv1beta1.ClusterUpdatingConditionStarted))).
		WithTimeout(timeout).WithPolling(interval).
		Should(beCondition(metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason))
}
