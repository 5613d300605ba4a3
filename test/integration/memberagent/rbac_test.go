package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// allowed asks the hub whether user may do verb on resource in namespace.
func allowed(user, verb, resource, subresource, namespace string) bool {
	GinkgoHelper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: placementv1beta1.GroupName, Resource: resource, Subresource: subresource,
		},
	}}
	Expect(hubClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

var _ = Describe("member1's hub identity", func() {
	It("reads its own Works but is forbidden those of member2", func() {
		agent := framework.NewClient(member1.hubConfig)
		Expect(agent.List(ctx, &placementv1beta1.WorkList{}, client.InNamespace(member1.namespace))).To(Succeed())

		err := agent.List(ctx, &placementv1beta1.WorkList{}, client.InNamespace(member2.namespace))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing member2's Works: %v", err)
		err = agent.Get(ctx, k8stypes.NamespacedName{Namespace: member2.namespace, Name: seedWork}, &placementv1beta1.Work{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "getting a Work of member2: %v", err)
		err = agent.Get(ctx, k8stypes.NamespacedName{Namespace: member2.namespace, Name: member2.name}, &clusterv1beta1.InternalMemberCluster{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "getting member2's InternalMemberCluster: %v", err)
		err = agent.List(ctx, &placementv1beta1.WorkList{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing Works in every namespace: %v", err)

		Expect(allowed("agent-member1", "update", "works", "status", member1.namespace)).To(BeTrue())
		Expect(allowed("agent-member1", "update", "works", "status", member2.namespace)).To(BeFalse())
		Expect(allowed("agent-member1", "watch", "works", "", member2.namespace)).To(BeFalse())
	})
})
