package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

func internalMemberCluster(g Gomega, m *member) *clusterv1beta1.InternalMemberCluster {
	imc := &clusterv1beta1.InternalMemberCluster{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Namespace: m.namespace, Name: m.name}, imc)).To(Succeed())
	return imc
}

func memberClusterCondition(g Gomega, m *member, t clusterv1beta1.MemberClusterConditionType) *metav1.Condition {
	mc := &clusterv1beta1.MemberCluster{}
	g.Expect(hubClient.Get(ctx, k8stypes.NamespacedName{Name: m.name}, mc)).To(Succeed())
	return meta.FindStatusCondition(mc.Status.Conditions, string(t))
}

var _ = Describe("The member agent's heartbeat", func() {
	It("joins member1 to the fleet and keeps reporting, with the cluster's capacity", func() {
		var first metav1.Time
		Eventually(func(g Gomega) {
			imc := internalMemberCluster(g, member1)
			g.Expect(imc.GetAgentCondition(clusterv1beta1.MemberAgent, clusterv1beta1.AgentJoined)).
				To(And(Not(BeNil()), HaveField("Status", metav1.ConditionTrue), HaveField("Reason", clusterv1beta1.AgentJoinedReason)))
			g.Expect(imc.GetAgentCondition(clusterv1beta1.MemberAgent, clusterv1beta1.AgentHealthy)).
				To(And(Not(BeNil()), HaveField("Status", metav1.ConditionTrue), HaveField("Reason", clusterv1beta1.AgentHealthyReason)))
			// envtest has no nodes.
			g.Expect(imc.Status.Properties).To(HaveKeyWithValue(clusterv1beta1.PropertyName(clusterv1beta1.NodeCountProperty), HaveField("Value", "0")))
			g.Expect(imc.Status.ResourceUsage.Allocatable).To(HaveKey(corev1.ResourceCPU))
			g.Expect(imc.Status.ResourceUsage.Available).To(HaveKey(corev1.ResourceMemory))
			first = imc.Status.AgentStatus[0].LastReceivedHeartbeat
			g.Expect(first.IsZero()).To(BeFalse())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("beating again after the heartbeat period")
		Eventually(func(g Gomega) {
			imc := internalMemberCluster(g, member1)
			g.Expect(imc.Status.AgentStatus[0].LastReceivedHeartbeat.After(first.Time)).To(BeTrue())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("the hub's member cluster controller turning it into Joined and Healthy")
		Eventually(func(g Gomega) {
			g.Expect(memberClusterCondition(g, member1, clusterv1beta1.ConditionTypeMemberClusterJoined)).
				To(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason))
			g.Expect(memberClusterCondition(g, member1, clusterv1beta1.ConditionTypeMemberClusterHealthy)).
				To(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
