package memberagent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
)

// refusedCase is a Work manifest the hub never produces, the reason fleet
// gives for never placing it, and the object the member must not get.
type refusedCase struct {
	manifest object
	why      string
	// absent is the object that must not appear on the member.
	absent client.Object
}

var _ = Describe("A Work manifest the hub should never have produced", func() {
	DescribeTable("is refused with ManifestRefused, the Work is not Applied, and nothing is applied for it",
		func(work string, c refusedCase) {
			namespace := work + "-ns"
			createWork(member1, work, nil, namespaceManifest(namespace), c.manifest)
			refusal := "The manifest is refused: fleet never places this object on a member cluster (" + c.why + ")"

			Eventually(func(g Gomega) {
				ok := conditionIn(manifestCondition(g, member1, work, 0).Conditions, placementv1beta1.WorkConditionTypeApplied)
				g.Expect(ok).To(haveStatusAndReason(metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason))

				c := conditionIn(manifestCondition(g, member1, work, 1).Conditions, placementv1beta1.WorkConditionTypeApplied)
				g.Expect(c).To(haveStatusAndReason(metav1.ConditionFalse, applier.ManifestRefusedReason))
				g.Expect(c.Message).To(Equal(refusal))

				applied := workCondition(g, member1, work, placementv1beta1.WorkConditionTypeApplied)
				g.Expect(applied).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason))
				g.Expect(applied.Message).To(And(HavePrefix("1 of 2 manifests are applied; manifest 1 ("), HaveSuffix("): "+refusal)))
			}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

			Consistently(func(g Gomega) {
				err := member1.client.Get(ctx, client.ObjectKeyFromObject(c.absent), c.absent)
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%T %s exists on the member (%v)", c.absent, client.ObjectKeyFromObject(c.absent), err)
			}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())

			deleteWork(member1, work)
			Eventually(workIsGone(member1, work)).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		},
		Entry("a ConfigMap in kube-system", "refuse-kube-system", refusedCase{
			manifest: configMapManifest("kube-system", "planted", map[string]string{"key": "value"}),
			why:      "namespaces starting with kube- are reserved for Kubernetes and fleet",
			absent:   &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "planted"}},
		}),
		Entry("the Namespace fleet-system", "refuse-fleet-system", refusedCase{
			manifest: namespaceManifest("fleet-system"),
			why:      "namespaces starting with fleet- are reserved for Kubernetes and fleet",
			absent:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fleet-system"}},
		}),
		Entry("a service account token Secret", "refuse-token", refusedCase{
			manifest: object{"apiVersion": "v1", "kind": "Secret", "type": string(corev1.SecretTypeServiceAccountToken),
				"metadata": map[string]any{"name": "stolen-token", "namespace": "refuse-token-ns",
					"annotations": map[string]any{corev1.ServiceAccountNameKey: "default"}},
				"data": map[string]any{"token": "bm90LWEtdG9rZW4="}},
			why:    "service account tokens are issued by each cluster",
			absent: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "refuse-token-ns", Name: "stolen-token"}},
		}),
		Entry("an AppliedWork, fleet's own kind, that would hijack another Work's objects", "refuse-fleet-kind", refusedCase{
			manifest: object{"apiVersion": placementv1beta1.GroupVersion.String(), "kind": placementv1beta1.AppliedWorkKind,
				"metadata": map[string]any{"name": "someone-elses-work"},
				"spec":     map[string]any{"workName": "someone-elses-work", "workNamespace": "fleet-member-member1"}},
			why:    "fleet's own objects stay on the hub",
			absent: &placementv1beta1.AppliedWork{ObjectMeta: metav1.ObjectMeta{Name: "someone-elses-work"}},
		}),
	)

	It("keeps refusing an object in a reserved namespace that exists on the member, and leaves it alone", func() {
		const work = "refuse-existing"
		createOnMember(member1, configMap("kube-public", "cluster-info-copy", map[string]string{"owner": "member"}))
		createWork(member1, work, nil, configMapManifest("kube-public", "cluster-info-copy", map[string]string{"owner": "hub"}))
		Eventually(func(g Gomega) {
			c := conditionIn(manifestCondition(g, member1, work, 0).Conditions, placementv1beta1.WorkConditionTypeApplied)
			g.Expect(c).To(haveStatusAndReason(metav1.ConditionFalse, applier.ManifestRefusedReason))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Consistently(func(g Gomega) {
			cm := configMapOn(g, member1, "kube-public", "cluster-info-copy")
			g.Expect(cm).NotTo(BeNil())
			g.Expect(cm.Data).To(Equal(map[string]string{"owner": "member"}))
			g.Expect(cm.OwnerReferences).To(BeEmpty())
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())

		deleteWork(member1, work)
		Eventually(workIsGone(member1, work)).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(member1.client.Get(ctx, k8stypes.NamespacedName{Namespace: "kube-public", Name: "cluster-info-copy"}, &corev1.ConfigMap{})).To(Succeed())
	})
})
