package kubectlfleet

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/controllers/updaterun"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

var _ = Describe("An update run gated before and after its stage, driven with kubectl fleet", func() {
	const (
		placement = "live-placement"
		cluster   = "live-member"
		run       = "live-run"
	)

	BeforeEach(func() {
		// The update run controller runs for this story only: the other
		// specs write their runs' status themselves.
		mgrCtx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		framework.StartManager(mgrCtx, restCfg, func(mgr ctrl.Manager) error {
			return updaterun.NewReconciler(mgr.GetClient(), mgr.GetAPIReader(), clock.RealClock{}, events.NewFakeRecorder(1000), time.Hour).SetupWithManager(mgr)
		})
		seedScheduledPlacement(placement, cluster)
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateStrategy{
			ObjectMeta: metav1.ObjectMeta{Name: "live-strategy"},
			Spec: placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{{
				Name:             "canary",
				LabelSelector:    &metav1.LabelSelector{MatchLabels: map[string]string{"story": "live"}},
				BeforeStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeApproval}},
				AfterStageTasks:  []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeApproval}},
			}}},
		})).To(Succeed())
	})

	It("waits for each approval, shows it in the status tree, and goes on once kubectl fleet approve gives it", func() {
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateRun{
			ObjectMeta: metav1.ObjectMeta{Name: run},
			Spec:       placementv1beta1.UpdateRunSpec{PlacementName: placement, ResourceSnapshotIndex: "0", StagedUpdateStrategyName: "live-strategy"},
		})).To(Succeed())

		By("the run asks for the approval before the stage, and the tree says how to give it")
		Eventually(func() string { return fleet("status", run) }).WithTimeout(timeout).WithPolling(interval).Should(
			MatchRegexp(`(?m)^├─ before: Approval +Waiting +\S+ +live-run-before-canary: kubectl fleet approve live-run-before-canary$`))
		Expect(fleet("approve", "--run", run, "--stage", "canary", "--before")).To(Equal(approvedOutput("live-run-before-canary")))

		By("the run accepts it and updates the cluster, which becomes available")
		Eventually(func(g Gomega) {
			req := &placementv1beta1.ClusterApprovalRequest{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "live-run-before-canary"}, req)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApprovalAccepted))).To(BeTrue())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(func(g Gomega) {
			b := &placementv1beta1.ClusterResourceBinding{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: placement + "-" + cluster}, b)).To(Succeed())
			g.Expect(b.Spec.State).To(Equal(placementv1beta1.BindingStateBound))
			g.Expect(b.Annotations).To(HaveKeyWithValue(placementv1beta1.BindingUpdateRunAnnotation, run))
			// What the work generator reports once the member applied everything.
			for _, t := range []placementv1beta1.ResourceBindingConditionType{
				placementv1beta1.ResourceBindingRolloutStarted, placementv1beta1.ResourceBindingOverridden, placementv1beta1.ResourceBindingWorkSynchronized,
				placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable,
			} {
				meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{Type: string(t), Status: metav1.ConditionTrue, Reason: "Simulated", ObservedGeneration: b.Generation})
			}
			g.Expect(k8sClient.Status().Update(ctx, b)).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("the run asks for the approval after the stage; approving it by name finishes the run")
		Eventually(func() string { return fleet("status", run) }).WithTimeout(timeout).WithPolling(interval).Should(
			MatchRegexp(`(?m)^└─ after: Approval +Waiting +\S+ +live-run-canary: kubectl fleet approve live-run-canary$`))
		Expect(fleet("approve", "live-run-canary")).To(Equal(approvedOutput("live-run-canary")))
		Eventually(func(g Gomega) {
			r := &placementv1beta1.ClusterStagedUpdateRun{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: run}, r)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(r.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded))).To(BeTrue())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		out := fleet("status", run)
		Expect(out).To(MatchRegexp(`(?m)^State: +Succeeded \S+ ago \(UpdateRunSucceeded\)$`))
		Expect(out).To(MatchRegexp(`(?m)^canary +Succeeded +\S+ +started \S+ ago, ended \S+ ago$`))
		Expect(out).To(MatchRegexp(`(?m)^├─ before: Approval +Accepted +\S+ +live-run-before-canary: Approved by admin with kubectl fleet approve$`))
		Expect(out).To(MatchRegexp(`(?m)^├─ live-member +Succeeded +\S+$`))
		Expect(out).To(MatchRegexp(`(?m)^└─ after: Approval +Accepted +\S+ +live-run-canary: Approved by admin with kubectl fleet approve$`))
		Expect(out).To(MatchRegexp(`(?m)^deletion stage +Succeeded +\S+ +started \S+ ago, ended \S+ ago, no clusters to remove$`))
	})
})

// seedScheduledPlacement creates what the placement controller and the
// scheduler would have left for an External placement picking one member
// cluster: a fully scheduled policy snapshot, resource snapshot index 0 and
// a Scheduled binding.
func seedScheduledPlacement(name, cluster string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: cluster, Labels: map[string]string{"story": "live"}},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + cluster},
		},
	})).To(Succeed())
	policy := &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType}
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
			Policy:            policy,
			Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
		},
	})).To(Succeed())

	policySnapshot := &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-0",
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: name,
				placementv1beta1.PolicyIndexLabel:       "0",
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
		},
		Spec: placementv1beta1.SchedulingPolicySnapshotSpec{Policy: policy, PolicyHash: []byte("hash")},
	}
	Expect(k8sClient.Create(ctx, policySnapshot)).To(Succeed())
	policySnapshot.Status.ObservedCRPGeneration = 1
	policySnapshot.Status.Conditions = []metav1.Condition{{
		Type: string(placementv1beta1.PolicySnapshotScheduled), Status: metav1.ConditionTrue, Reason: placementv1beta1.PolicySnapshotFulfilledReason,
		ObservedGeneration: policySnapshot.Generation, LastTransitionTime: metav1.Now(),
	}}
	Expect(k8sClient.Status().Update(ctx, policySnapshot)).To(Succeed())

	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourceSnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-0-snapshot",
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: name,
				placementv1beta1.ResourceIndexLabel:     "0",
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
			Annotations: map[string]string{
				placementv1beta1.ResourceGroupHashAnnotation:         "0",
				placementv1beta1.NumberOfResourceSnapshotsAnnotation: "1",
			},
		},
		Spec: placementv1beta1.ResourceSnapshotSpec{SelectedResources: []placementv1beta1.ResourceContent{{RawExtension: runtime.RawExtension{
			Raw: []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"test-namespace"}}`),
		}}}},
	})).To(Succeed())

	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name + "-" + cluster,
			Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: name},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        placementv1beta1.BindingStateScheduled,
			TargetCluster:                cluster,
			SchedulingPolicySnapshotName: name + "-0",
			ClusterDecision:              placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by scheduling policy"},
		},
	})).To(Succeed())
}
