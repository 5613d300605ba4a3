package membercluster

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

func newMemberCluster(name string, heartbeatSeconds int32, labels map[string]string) *clusterv1beta1.MemberCluster {
	return &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity:               rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
			HeartbeatPeriodSeconds: heartbeatSeconds,
		},
	}
}

// heartbeat writes what a member agent reports on each heartbeat.
func heartbeat(name string, at time.Time) {
	GinkgoHelper()
	framework.Heartbeat(ctx, k8sClient, name, at)
}

func conditionOf(name string, condType clusterv1beta1.MemberClusterConditionType) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		return meta.FindStatusCondition(mc.Status.Conditions, string(condType))
	}
}

func haveStatusAndReason(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

// allowed asks the API server whether user may do verb on resource in namespace.
func allowed(user, verb, group, resource, subresource, namespace string) bool {
	GinkgoHelper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: group, Resource: resource, Subresource: subresource,
		},
	}}
	Expect(k8sClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

var _ = Describe("A member cluster joining the fleet", Ordered, func() {
	const name = "member1"

	BeforeAll(func() {
		Expect(k8sClient.Create(ctx, newMemberCluster(name, 60, map[string]string{"environment": "canary", "order": "2"}))).To(Succeed())
		Expect(k8sClient.Create(ctx, newMemberCluster("member2", 60, map[string]string{"environment": "staging"}))).To(Succeed())
	})

	It("gets a hub namespace with an InternalMemberCluster asking its agent to join", func() {
		Eventually(func(g Gomega) {
			imc := &clusterv1beta1.InternalMemberCluster{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "fleet-member-" + name, Name: name}, imc)).To(Succeed())
			g.Expect(imc.Spec.State).To(Equal(clusterv1beta1.ClusterStateJoin))
			g.Expect(imc.Spec.HeartbeatPeriodSeconds).To(Equal(int32(60)))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterReadyToJoin)).WithTimeout(timeout).
			Should(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterReadyToJoinReason))
		Expect(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterJoined)(Default)).
			To(haveStatusAndReason(metav1.ConditionUnknown, clusterv1beta1.MemberClusterJoinStateUnknownReason))
	})

	It("lets the member's identity use its own namespace and nothing else", func() {
		Eventually(func() bool {
			return allowed("agent-member1", "list", placementv1beta1.GroupName, "works", "", "fleet-member-member1")
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		own := "fleet-member-member1"
		Expect(allowed("agent-member1", "watch", placementv1beta1.GroupName, "works", "", own)).To(BeTrue())
		Expect(allowed("agent-member1", "update", placementv1beta1.GroupName, "works", "status", own)).To(BeTrue())
		Expect(allowed("agent-member1", "update", clusterv1beta1.GroupVersion.Group, "internalmemberclusters", "status", own)).To(BeTrue())

		Expect(allowed("agent-member1", "create", placementv1beta1.GroupName, "works", "", own)).To(BeFalse(), "members never create Work")
		Expect(allowed("agent-member1", "delete", placementv1beta1.GroupName, "works", "", own)).To(BeFalse())
		Expect(allowed("agent-member1", "update", clusterv1beta1.GroupVersion.Group, "internalmemberclusters", "", own)).To(BeFalse(), "the hub owns the spec")
		Expect(allowed("agent-member1", "list", "", "secrets", "", own)).To(BeFalse())
		Expect(allowed("agent-member1", "list", placementv1beta1.GroupName, "works", "", "fleet-member-member2")).To(BeFalse(), "another member's Work")
		Expect(allowed("agent-member1", "list", placementv1beta1.GroupName, "works", "", "")).To(BeFalse(), "Work across namespaces")
		Expect(allowed("agent-member1", "list", clusterv1beta1.GroupVersion.Group, "memberclusters", "", "")).To(BeFalse())
	})

	It("denies the member's identity every verb on another member's namespace, on approvals, placements and runs", func() {
		// The Role in its own namespace exists once the previous spec passed.
		verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
		type target struct{ group, resource, subresource, namespace string }
		other := "fleet-member-member2"
		placement, cluster := placementv1beta1.GroupName, clusterv1beta1.GroupVersion.Group
		targets := []target{
			{placement, "works", "", other},
			{placement, "works", "status", other},
			{cluster, "internalmemberclusters", "", other},
			{cluster, "internalmemberclusters", "status", other},
			{"", "secrets", "", other},
			{"", "events", "", other},
			{placement, "clusterapprovalrequests", "", ""},
			{placement, "clusterapprovalrequests", "status", ""},
			{placement, "clusterstagedupdateruns", "", ""},
			{placement, "clusterstagedupdateruns", "status", ""},
			{placement, "clusterstagedupdatestrategies", "", ""},
			{placement, "clusterresourceplacements", "", ""},
			{placement, "clusterresourceplacements", "status", ""},
			{placement, "clusterresourcebindings", "", ""},
			{placement, "clusterresourcesnapshots", "", ""},
			{cluster, "memberclusters", "", ""},
			{cluster, "memberclusters", "status", ""},
		}
		var granted []string
		for _, t := range targets {
			for _, v := range verbs {
				if allowed("agent-member1", v, t.group, t.resource, t.subresource, t.namespace) {
					granted = append(granted, fmt.Sprintf("%s %s/%s in %q", v, t.resource, t.subresource, t.namespace))
				}
			}
		}
		Expect(granted).To(BeEmpty(), "member1's identity may do these, and must not")
	})

	It("is joined and healthy while its agent heartbeats", func() {
		heartbeat(name, time.Now())
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterJoined)).WithTimeout(timeout).
			Should(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason))
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterHealthy)).WithTimeout(timeout).
			Should(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason))
		mc := &clusterv1beta1.MemberCluster{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		Expect(mc.Status.AgentStatus).To(HaveLen(1))
		Expect(mc.Status.AgentStatus[0].Type).To(Equal(clusterv1beta1.MemberAgent))
	})
})

var _ = Describe("A member cluster whose agent goes silent", func() {
	It("becomes unhealthy after 3 missed heartbeats, and healthy again when the agent is back", func() {
		const name = "silent"
		Expect(k8sClient.Create(ctx, newMemberCluster(name, 1, nil))).To(Succeed())
		heartbeat(name, time.Now())
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterHealthy)).WithTimeout(timeout).
			Should(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason))

		// No more heartbeats: 3 periods of 1 s later the hub notices on its own.
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterHealthy)).WithTimeout(timeout).
			Should(And(haveStatusAndReason(metav1.ConditionFalse, clusterv1beta1.MemberClusterHeartbeatTimeoutReason),
				HaveField("Message", ContainSubstring("more than 3 heartbeat periods"))))

		heartbeat(name, time.Now())
		Eventually(conditionOf(name, clusterv1beta1.ConditionTypeMemberClusterHealthy)).WithTimeout(timeout).
			Should(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason))
	})
})

var _ = Describe("A member cluster leaving the fleet", func() {
	It("asks its agent to leave and keeps its namespace until its Works are gone", func() {
		const name = "leaving"
		ns := "fleet-member-" + name
		Expect(k8sClient.Create(ctx, newMemberCluster(name, 60, nil))).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &clusterv1beta1.InternalMemberCluster{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		// A Work the member agent has not cleaned up yet (its finalizer stands for that).
		work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: "example-placement-work", Namespace: ns, Finalizers: []string{placementv1beta1.WorkFinalizer}}}
		Expect(k8sClient.Create(ctx, work)).To(Succeed())

		Expect(k8sClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		Eventually(func(g Gomega) {
			imc := &clusterv1beta1.InternalMemberCluster{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, imc)).To(Succeed())
			g.Expect(imc.Spec.State).To(Equal(clusterv1beta1.ClusterStateLeave))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &clusterv1beta1.MemberCluster{})).To(Succeed())
			namespace := &corev1.Namespace{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: ns}, namespace)).To(Succeed())
			g.Expect(namespace.DeletionTimestamp).To(BeNil())
		}).WithTimeout(2 * time.Second).WithPolling(interval).Should(Succeed())

		// The hub deletes the Work; the agent removes what it applied and releases it.
		Expect(k8sClient.Delete(ctx, work)).To(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: work.Name}, work)).To(Succeed())
		work.Finalizers = nil
		Expect(k8sClient.Update(ctx, work)).To(Succeed())

		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &clusterv1beta1.MemberCluster{}))
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue())
		// envtest runs no namespace controller, so the namespace stays Terminating here.
		namespace := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: ns}, namespace)).To(Succeed())
		Expect(namespace.DeletionTimestamp).NotTo(BeNil())
	})
})
