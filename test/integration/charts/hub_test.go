package charts

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/test/charts"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// The release the hub specs install, and the names the chart gives it.
const (
	hubRelease        = charts.Release
	hubNamespace      = charts.Namespace
	hubServiceAccount = "flotilla-hub-agent"
)

// hubCRDs returns the names of the CRDs of the kinds the hub agent requires.
func hubCRDs() []string {
	var names []string
	crds := &apiextensionsv1.CustomResourceDefinitionList{}
	Expect(k8sClient.List(ctx, crds)).To(Succeed())
	for _, k := range hubagent.RequiredKinds(hubagent.NewScheme()) {
		for _, crd := range crds.Items {
			if crd.Spec.Group == k.Group && crd.Spec.Names.Kind == k.Kind && !slices.Contains(names, crd.Name) {
				names = append(names, crd.Name)
			}
		}
	}
	return names
}

// establishedCRDs returns the CRDs of the release, each with whether it is
// Established.
func establishedCRDs(release string) func(Gomega) map[string]bool {
	return func(g Gomega) map[string]bool {
		crds := &apiextensionsv1.CustomResourceDefinitionList{}
		g.Expect(k8sClient.List(ctx, crds, client.MatchingLabels{"app.kubernetes.io/instance": release})).To(Succeed())
		out := map[string]bool{}
		for _, crd := range crds.Items {
			out[crd.Name] = false
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					out[crd.Name] = true
				}
			}
		}
		return out
	}
}

// What the hub agent must not be able to do, although it can do a lot: each
// of these would let a compromised hub agent take over the hub cluster or
// other controllers, or destroy what users own.
var hubAgentMustNot = []access{
	{verb: "*", group: "*", resource: "*"},
	{verb: "create", group: rbacv1.GroupName, resource: "clusterroles"},
	{verb: "escalate", group: rbacv1.GroupName, resource: "clusterroles"},
	{verb: "bind", group: rbacv1.GroupName, resource: "clusterroles"},
	{verb: "create", group: rbacv1.GroupName, resource: "clusterrolebindings"},
	{verb: "impersonate", group: "", resource: "users"},
	{verb: "impersonate", group: "", resource: "serviceaccounts"},
	{verb: "create", group: "", resource: "serviceaccounts/token", namespace: "kube-system"},
	{verb: "delete", group: "", resource: "nodes"},
	{verb: "patch", group: "", resource: "nodes"},
	{verb: "create", group: "", resource: "pods", namespace: "kube-system"},
	{verb: "create", group: "", resource: "pods/exec", namespace: "kube-system"},
	{verb: "create", group: "apps", resource: "deployments", namespace: "default"},
	{verb: "create", group: "", resource: "secrets", namespace: "kube-system"},
	{verb: "update", group: "", resource: "secrets", namespace: "kube-system"},
	{verb: "delete", group: "", resource: "secrets", namespace: "kube-system"},
	{verb: "update", group: "", resource: "configmaps", namespace: "default"},
	// Leader election only in its own namespace: not the leases of
	// kube-controller-manager or kube-scheduler.
	{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
	{verb: "create", group: "coordination.k8s.io", resource: "leases"},
	{verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions"},
	{verb: "delete", group: "apiextensions.k8s.io", resource: "customresourcedefinitions"},
	{verb: "create", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations"},
	// What users own: placements, strategies and member clusters.
	{verb: "create", group: placementv1beta1.GroupVersion.Group, resource: "clusterresourceplacements"},
	{verb: "delete", group: placementv1beta1.GroupVersion.Group, resource: "clusterresourceplacements"},
	{verb: "delete", group: placementv1beta1.GroupVersion.Group, resource: "clusterstagedupdateruns"},
	{verb: "update", group: placementv1beta1.GroupVersion.Group, resource: "clusterstagedupdatestrategies"},
	{verb: "create", group: clusterv1beta1.GroupVersion.Group, resource: "memberclusters"},
	{verb: "delete", group: clusterv1beta1.GroupVersion.Group, resource: "memberclusters"},
	// The member agent's status, which only it writes.
	{verb: "update", group: clusterv1beta1.GroupVersion.Group, resource: "internalmemberclusters/status"},
	{verb: "update", group: placementv1beta1.GroupVersion.Group, resource: "works/status"},
}

var _ = Describe("The hub-agent chart", Ordered, func() {
	BeforeAll(func() {
		helmRun("install", hubRelease, charts.ChartDir("hub-agent"), "--namespace", hubNamespace, "--create-namespace")
	})

	It("installs every CRD the hub agent requires, and they become Established", func() {
		want := map[string]bool{}
		Eventually(func(g Gomega) {
			for _, name := range hubCRDs() {
				want[name] = true
			}
			g.Expect(want).To(HaveLen(len(hubagent.RequiredKinds(hubagent.NewScheme()))))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Eventually(establishedCRDs(hubRelease)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))
	})

	It("grants the hub agent's ServiceAccount every rule of config/rbac/role.yaml, one request at a time", func() {
		rbac := charts.ConfigRBAC(GinkgoT())
		clusterWide := accessesOf(rbac.ClusterRules, "")
		inNamespace := accessesOf(rbac.NamespaceRules, hubNamespace)
		Expect(len(clusterWide)).To(BeNumerically(">", 50), "the ClusterRole's rules expand to too few requests; is role.yaml read right?")
		Expect(inNamespace).NotTo(BeEmpty(), "config/rbac/role.yaml has no leader election Role")
		Expect(deniedOf(serviceAccount(hubNamespace, hubServiceAccount), append(clusterWide, inNamespace...))).To(BeEmpty())
	})

	It("denies the hub agent's ServiceAccount what it does not need", func() {
		Expect(allowedOf(serviceAccount(hubNamespace, hubServiceAccount), hubAgentMustNot)).To(BeEmpty())
	})

	It("ships a flotilla-approver ClusterRole that approves stages and does nothing else", func() {
		const approver = "release-manager"
		Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "release-managers-approve"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "flotilla-approver"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: approver}},
		})).To(Succeed())
		group := placementv1beta1.GroupVersion.Group

		By("answering SubjectAccessReviews, once the authorizer has seen the binding")
		// The RBAC authorizer reads bindings from an informer: a review
		// right after the binding's creation may not see it yet.
		Eventually(deniedOf).WithArguments(user(approver), []access{
			{verb: "get", group: group, resource: "clusterapprovalrequests"},
			{verb: "list", group: group, resource: "clusterapprovalrequests"},
			{verb: "watch", group: group, resource: "clusterapprovalrequests"},
			{verb: "get", group: group, resource: "clusterstagedupdateruns"},
			{verb: "list", group: group, resource: "clusterstagedupdateruns"},
			{verb: "patch", group: group, resource: "clusterapprovalrequests/status"},
			{verb: "update", group: group, resource: "clusterapprovalrequests/status"},
		}).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
		Expect(allowedOf(user(approver), []access{
			{verb: "create", group: group, resource: "clusterapprovalrequests"},
			{verb: "update", group: group, resource: "clusterapprovalrequests"},
			{verb: "patch", group: group, resource: "clusterapprovalrequests"},
			{verb: "delete", group: group, resource: "clusterapprovalrequests"},
			{verb: "create", group: group, resource: "clusterstagedupdateruns"},
			{verb: "update", group: group, resource: "clusterstagedupdateruns"},
			{verb: "patch", group: group, resource: "clusterstagedupdateruns"},
			{verb: "delete", group: group, resource: "clusterstagedupdateruns"},
			{verb: "update", group: group, resource: "clusterstagedupdateruns/status"},
			{verb: "update", group: group, resource: "clusterstagedupdatestrategies"},
			{verb: "create", group: group, resource: "clusterresourceplacements"},
			{verb: "update", group: group, resource: "clusterresourcebindings"},
			{verb: "get", group: group, resource: "clusterresourcesnapshots"},
			{verb: "update", group: clusterv1beta1.GroupVersion.Group, resource: "memberclusters"},
			{verb: "get", group: "", resource: "secrets", namespace: "default"},
			{verb: "list", group: "", resource: "configmaps"},
			{verb: "create", group: rbacv1.GroupName, resource: "clusterrolebindings"},
		})).To(BeEmpty())

		By("approving with a client that impersonates the approver")
		request := &placementv1beta1.ClusterApprovalRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "run-1-canary"},
			Spec:       placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: "run-1", TargetStage: "canary"},
		}
		Expect(k8sClient.Create(ctx, request)).To(Succeed())
		impersonated := rest.CopyConfig(cfg)
		impersonated.Impersonate = rest.ImpersonationConfig{UserName: approver}
		as := framework.NewClient(impersonated)

		approved := request.DeepCopy()
		Expect(as.Get(ctx, client.ObjectKeyFromObject(request), approved)).To(Succeed())
		meta.SetStatusCondition(&approved.Status.Conditions, metav1.Condition{
			Type: string(placementv1beta1.ApprovalRequestConditionApproved), Status: metav1.ConditionTrue,
			Reason: "lgtm", Message: "approved by " + approver, ObservedGeneration: approved.Generation,
		})
		Expect(as.Status().Update(ctx, approved)).To(Succeed())

		By("being refused everything else")
		changed := approved.DeepCopy()
		changed.Spec.TargetStage = "prod"
		Expect(apierrors.IsForbidden(as.Update(ctx, changed))).To(BeTrue(), "changing the request's spec")
		Expect(apierrors.IsForbidden(as.Delete(ctx, approved))).To(BeTrue(), "deleting the request")
		Expect(apierrors.IsForbidden(as.Create(ctx, &placementv1beta1.ClusterApprovalRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "run-1-prod"},
			Spec:       placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: "run-1", TargetStage: "prod"},
		}))).To(BeTrue(), "creating a request")
		Expect(apierrors.IsForbidden(as.Create(ctx, &placementv1beta1.ClusterStagedUpdateRun{
			ObjectMeta: metav1.ObjectMeta{Name: "run-2"},
			Spec:       placementv1beta1.UpdateRunSpec{PlacementName: "app", StagedUpdateStrategyName: "s"},
		}))).To(BeTrue(), "creating an update run")
		Expect(apierrors.IsForbidden(as.List(ctx, &corev1.SecretList{}))).To(BeTrue(), "listing Secrets")

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(request), request)).To(Succeed())
		Expect(meta.IsStatusConditionTrue(request.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved))).To(BeTrue())
		Expect(request.Spec.TargetStage).To(Equal("canary"))
		Expect(k8sClient.Delete(ctx, request)).To(Succeed())
	})

	It("runs the hub agent with nothing but its ServiceAccount's rights: a member joins and a placement reaches it", func() {
		agent := startHubAgentAs(hubNamespace, hubServiceAccount)

		By("electing a leader in the release namespace")
		Eventually(func(g Gomega) string {
			lease := &coordinationv1.Lease{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: hubNamespace, Name: hubRelease + "-hub-agent"}, lease)).To(Succeed())
			return ptr.Deref(lease.Spec.HolderIdentity, "")
		}).WithTimeout(timeout).WithPolling(interval).ShouldNot(BeEmpty())

		By("preparing a member cluster's namespace, access and InternalMemberCluster")
		const member = "member1"
		Expect(k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
			ObjectMeta: metav1.ObjectMeta{Name: member},
			Spec: clusterv1beta1.MemberClusterSpec{
				Identity:               rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "member1-agent"},
				HeartbeatPeriodSeconds: 60,
			},
		})).To(Succeed())
		memberNamespace := fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, member)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace, Name: fmt.Sprintf(clusterv1beta1.RoleNameFormat, member)}, &rbacv1.Role{})).To(Succeed())
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace, Name: fmt.Sprintf(clusterv1beta1.RoleBindingNameFormat, member)}, &rbacv1.RoleBinding{})).To(Succeed())
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace, Name: member}, &clusterv1beta1.InternalMemberCluster{})).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		framework.Heartbeat(ctx, k8sClient, member, time.Now())

		By("snapshotting, scheduling and rolling out a placement to the member's Work")
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "settings"},
			Data: map[string]string{"key": "value1"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: "app"},
			Spec: placementv1beta1.PlacementSpec{
				ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: "app"}},
				Policy:            &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType},
				Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.RollingUpdateRolloutStrategyType},
			},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "app-0-snapshot"}, &placementv1beta1.ClusterResourceSnapshot{})).To(Succeed())
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace, Name: "app-work"}, &placementv1beta1.Work{})).To(Succeed())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("never being refused anything")
		Consistently(agent).WithTimeout(2 * time.Second).ShouldNot(gexec.Exit())
		Expect(string(agent.Err.Contents())).NotTo(ContainSubstring("forbidden"))
	})

	It("leaves the CRDs and the fleet's objects when uninstalled, and adopts the CRDs again when installed again", func() {
		crds := hubCRDs()
		helmRun("uninstall", hubRelease, "--namespace", hubNamespace, "--wait")

		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: hubNamespace, Name: hubRelease + "-hub-agent"}, &appsv1.Deployment{}))
		}).WithTimeout(timeout).WithPolling(interval).Should(BeTrue(), "the Deployment outlives the release")
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: hubRelease + "-hub-agent"}, &rbacv1.ClusterRole{}))).To(BeTrue(),
			"the ClusterRole outlives the release")
		Expect(hubCRDs()).To(ConsistOf(crds))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "member1"}, &clusterv1beta1.MemberCluster{})).To(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "app"}, &placementv1beta1.ClusterResourcePlacement{})).To(Succeed())

		helmRun("install", hubRelease, charts.ChartDir("hub-agent"), "--namespace", hubNamespace)
		Eventually(establishedCRDs(hubRelease)).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(len(crds)))
		Expect(helmRun("get", "manifest", hubRelease, "--namespace", hubNamespace)).To(ContainSubstring("kind: CustomResourceDefinition"))
	})
})

// startHubAgentAs builds the hub agent and runs it as the chart's Deployment
// does: with its arguments, as the ServiceAccount namespace/name, with a
// token the API server issues. It stops when the spec ends.
func startHubAgentAs(namespace, name string) *gexec.Session {
	GinkgoHelper()
	bin := filepath.Join(workDir, "hubagent")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/flotilla-dev/flotilla/cmd/hubagent")
	build.Stdout, build.Stderr = GinkgoWriter, GinkgoWriter
	Expect(build.Run()).To(Succeed())

	token, err := clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	kc := clientcmdapi.NewConfig()
	kc.Clusters["hub"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	kc.Contexts["hub"] = &clientcmdapi.Context{Cluster: "hub", AuthInfo: name}
	kc.CurrentContext = "hub"
	data, err := clientcmd.Write(*kc)
	Expect(err).NotTo(HaveOccurred())
	path := writeFile(name+".kubeconfig", data)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	probe := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	// The arguments the chart gives the hub agent, but the ports: several
	// processes share the host.
	d := &appsv1.Deployment{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: hubRelease + "-hub-agent"}, d)).To(Succeed())
	args := []string{"--kubeconfig", path}
	for _, arg := range d.Spec.Template.Spec.Containers[0].Args {
		if !strings.HasPrefix(arg, "--metrics-bind-address=") && !strings.HasPrefix(arg, "--health-probe-bind-address=") {
			args = append(args, arg)
		}
	}
	args = append(args, "--metrics-bind-address=0", "--health-probe-bind-address="+probe)
	Expect(args).To(ContainElements("--leader-elect=true", "--leader-election-namespace="+namespace))
	session, err := gexec.Start(exec.CommandContext(ctx, bin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		session.Interrupt()
		Eventually(session).WithTimeout(30 * time.Second).Should(gexec.Exit())
	})
	return session
}
