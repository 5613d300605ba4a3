package pipeline

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// seedClusters are the tutorial's member clusters and their labels.
var seedClusters = map[string]map[string]string{
	"member1": {"environment": "canary", "order": "2"},
	"member2": {"environment": "staging"},
	"member3": {"environment": "canary", "order": "1"},
}

// join creates a member cluster and plays its member agent's first heartbeat.
func join(name string, labels map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity:               rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
			HeartbeatPeriodSeconds: 60,
		},
	})).To(Succeed())
	framework.Heartbeat(ctx, k8sClient, name, time.Now())
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined))).To(BeTrue())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// bindingsOf returns "<cluster>=<state>" for each binding of the placement.
func bindingsOf(crp string) func(Gomega) []string {
	return func(g Gomega) []string {
		list := &placementv1beta1.ClusterResourceBindingList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		var out []string
		for _, b := range list.Items {
			out = append(out, fmt.Sprintf("%s=%s", b.Spec.TargetCluster, b.Spec.State))
		}
		return out
	}
}

var _ = Describe("The tutorial on a Flotilla hub, before any update run", Ordered, func() {
	BeforeAll(func() {
		for name, labels := range seedClusters {
			join(name, labels)
		}
	})

	It("schedules the placement on the three clusters and leaves AVAILABLE blank", func() {
		kubectl("", "create", "ns", "test-namespace")
		kubectl("", "create", "cm", "test-cm", "--from-literal=key=value1", "-n", "test-namespace")
		kubectl(framework.SeedPlacement, "apply", "-f", "-")

		Eventually(bindingsOf("example-placement")).WithTimeout(timeout).WithPolling(interval).Should(ConsistOf(
			"member1=Scheduled", "member2=Scheduled", "member3=Scheduled"))
		Eventually(func(g Gomega) [][]string {
			return framework.Table(kubectl("", "get", "crp", "example-placement"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "SCHEDULED", "SCHEDULED-GEN", "AVAILABLE", "AVAILABLE-GEN", "AGE"},
			HaveExactElements("example-placement", "1", "True", "1", Not(BeEmpty())), // AVAILABLE and AVAILABLE-GEN blank
		))

		crp := &placementv1beta1.ClusterResourcePlacement{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "example-placement"}, crp)).To(Succeed())
		Expect(crp.GetCondition(string(placementv1beta1.ClusterResourcePlacementRolloutStarted))).To(And(
			HaveField("Status", metav1.ConditionUnknown),
			HaveField("Reason", placementv1beta1.PlacementRolloutControlledByExternalControllerReason)))
		Expect(crp.Status.PerClusterPlacementStatuses).To(HaveLen(3))
	})

	It("lists example-placement-0-snapshot with the tutorial's labels", func() {
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "AGE", "LABELS"},
			HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()),
				"kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0"),
		))
	})

	It("lists example-placement-1-snapshot as latest after the config map is edited", func() {
		kubectl("", "patch", "cm", "test-cm", "-n", "test-namespace", "--type=merge", "-p", `{"data":{"key":"value2"}}`)
		Eventually(func() [][]string {
			return framework.Table(kubectl("", "get", "clusterresourcesnapshots", "--show-labels"))
		}).WithTimeout(timeout).WithPolling(interval).Should(HaveExactElements(
			[]string{"NAME", "GEN", "AGE", "LABELS"},
			HaveExactElements("example-placement-0-snapshot", "1", Not(BeEmpty()),
				"kubernetes-fleet.io/is-latest-snapshot=false,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0"),
			HaveExactElements("example-placement-1-snapshot", "1", Not(BeEmpty()),
				"kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=1"),
		))
	})

	It("unschedules a cluster that leaves the fleet, and schedules a cluster that joins", func() {
		Expect(k8sClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: "member3"}})).To(Succeed())
		Eventually(bindingsOf("example-placement")).WithTimeout(timeout).WithPolling(interval).Should(ConsistOf(
			"member1=Scheduled", "member2=Scheduled", "member3=Unscheduled"))
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: "member3"}, &clusterv1beta1.MemberCluster{})
		}).WithTimeout(timeout).WithPolling(interval).Should(MatchError(ContainSubstring("not found")))

		// envtest runs no namespace controller, so member3's namespace never
		// finishes terminating and member3 cannot come back under its name.
		join("member4", map[string]string{"environment": "staging"})
		Eventually(bindingsOf("example-placement")).WithTimeout(timeout).WithPolling(interval).Should(ConsistOf(
			"member1=Scheduled", "member2=Scheduled", "member3=Unscheduled", "member4=Scheduled"))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "example-placement-0"}, &placementv1beta1.ClusterSchedulingPolicySnapshot{})).To(Succeed())
	})

	It("binds every cluster of a RollingUpdate placement to its latest resource snapshot", func() {
		kubectl("", "create", "ns", "web")
		kubectl(`
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: web-placement
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: web
      version: v1
  policy:
    placementType: PickAll
`, "apply", "-f", "-")
		Eventually(func(g Gomega) []string {
			list := &placementv1beta1.ClusterResourceBindingList{}
			g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: "web-placement"})).To(Succeed())
			var out []string
			for _, b := range list.Items {
				started := meta.FindStatusCondition(b.Status.Conditions, string(placementv1beta1.ResourceBindingRolloutStarted))
				g.Expect(started).NotTo(BeNil())
				g.Expect(started.ObservedGeneration).To(Equal(b.Generation))
				out = append(out, fmt.Sprintf("%s=%s@%s/%s", b.Spec.TargetCluster, b.Spec.State, b.Spec.ResourceSnapshotName, started.Status))
			}
			return out
		}).WithTimeout(timeout).WithPolling(interval).Should(ConsistOf(
			"member1=Bound@web-placement-0-snapshot/True",
			"member2=Bound@web-placement-0-snapshot/True",
			"member4=Bound@web-placement-0-snapshot/True",
		))
	})
})
