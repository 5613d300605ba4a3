package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("member2 leaving the fleet", Ordered, func() {
	It("has the seed applied, like every member", func() {
		createWork(member2, seedWork, nil, seedManifests("value1")...)
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member2, seedNamespace, seedConfigMap)).To(HaveField("Data", HaveKeyWithValue("key", "value1")))
			g.Expect(workCondition(g, member2, seedWork, placementv1beta1.WorkConditionTypeAvailable)).
				To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason))
			g.Expect(memberClusterCondition(g, member2, clusterv1beta1.ConditionTypeMemberClusterJoined)).
				To(haveStatusAndReason(metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("reports that the agent left once the hub asks it to", func() {
		Expect(hubClient.Delete(ctx, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: member2.name}})).To(Succeed())
		Eventually(func(g Gomega) {
			imc := internalMemberCluster(g, member2)
			g.Expect(imc.Spec.State).To(Equal(clusterv1beta1.ClusterStateLeave))
			g.Expect(imc.GetAgentCondition(clusterv1beta1.MemberAgent, clusterv1beta1.AgentJoined)).
				To(And(Not(BeNil()), HaveField("Status", metav1.ConditionFalse), HaveField("Reason", clusterv1beta1.AgentLeftReason)))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("applies nothing new while leaving", func() {
		updateWork(member2, seedWork, seedManifests("value2")...)
		Consistently(func(g Gomega) {
			g.Expect(configMapOn(g, member2, seedNamespace, seedConfigMap).Data).To(HaveKeyWithValue("key", "value1"))
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())
	})

	It("still removes what a deleted Work applied, so the hub can let the cluster go", func() {
		deleteWork(member2, seedWork)
		Eventually(workIsGone(member2, seedWork)).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(configMapOn(g, member2, seedNamespace, seedConfigMap)).To(BeNil())
			g.Expect(appliedWorkOn(g, member2, seedWork)).To(BeNil())
			err := hubClient.Get(ctx, k8stypes.NamespacedName{Name: member2.name}, &clusterv1beta1.MemberCluster{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "MemberCluster %s still exists (%v)", member2.name, err)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
