package charts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/flotilla-dev/flotilla/pkg/memberagent"
	"github.com/flotilla-dev/flotilla/test/charts"
)

const (
	memberRelease        = "member1"
	memberNamespace      = "member-system"
	memberServiceAccount = "member1-member-agent"
)

var _ = Describe("The member-agent chart", Ordered, func() {
	BeforeAll(func() {
		helmRun("install", memberRelease, charts.ChartDir("member-agent"), "--namespace", memberNamespace, "--create-namespace",
			"--set", "memberName=member1", "--set", "hub.url=https://hub.example.com:6443", "--set", "hub.credentials.secretName=hub-credentials")
	})

	It("installs the AppliedWork CRD, Established, and the agent's Deployment", func() {
		Eventually(establishedCRDs(memberRelease)).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]bool{"appliedworks.placement.kubernetes-fleet.io": true}))
		d := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace, Name: "member1-member-agent"}, d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Args).To(ContainElements(
			"--member-name=member1", "--hub-server=https://hub.example.com:6443", "--hub-token-file=/etc/flotilla/hub/token",
			"--hub-ca-file=/etc/flotilla/hub/ca.crt", "--leader-election-namespace="+memberNamespace))
	})

	It("lets the member agent apply anything on the member cluster, and elect a leader in its namespace", func() {
		Expect(deniedOf(serviceAccount(memberNamespace, memberServiceAccount), []access{
			{verb: "*", group: "*", resource: "*"},
			{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
			{verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions"},
			{verb: "delete", group: "", resource: "namespaces"},
			{verb: "update", group: "placement.kubernetes-fleet.io", resource: "appliedworks/status"},
			{verb: "list", group: "", resource: "nodes"},
			{verb: "list", group: "", resource: "pods"},
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: memberNamespace},
		})).To(BeEmpty())
	})

	It("with a narrower ClusterRole, still lets the agent elect a leader in its namespace, and nothing more", func() {
		helmRun("upgrade", memberRelease, charts.ChartDir("member-agent"), "--namespace", memberNamespace, "--reuse-values",
			"--set", "rbac.clusterRoleName=view")
		Expect(deniedOf(serviceAccount(memberNamespace, memberServiceAccount), []access{
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: memberNamespace},
			{verb: "create", group: "", resource: "events", namespace: memberNamespace},
		})).To(BeEmpty())
		Expect(allowedOf(serviceAccount(memberNamespace, memberServiceAccount), []access{
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
			{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
		})).To(BeEmpty())
	})
})

var _ = Describe("A member agent given a token Secret's files", func() {
	It("reaches the hub as the identity the token names, verifying the hub with the CA bundle", func() {
		// On the hub: the member's identity, a ServiceAccount, and its token,
		// as the Secret the chart mounts holds them (keys token and ca.crt).
		const ns, sa = "member-identities", "member1-agent"
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa}})).To(Succeed())
		token, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())

		opts := memberagent.NewOptions()
		opts.MemberName = "member1"
		opts.HubServer = cfg.Host
		opts.HubTokenFile = writeFile("token", []byte(token.Status.Token))
		opts.HubCAFile = writeFile("ca.crt", cfg.CAData)
		Expect(opts.Validate()).To(Succeed())
		hubCfg, err := opts.HubConfig()
		Expect(err).NotTo(HaveOccurred())

		hub, err := kubernetes.NewForConfig(hubCfg)
		Expect(err).NotTo(HaveOccurred())
		review, err := hub.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(review.Status.UserInfo.Username).To(Equal("system:serviceaccount:" + ns + ":" + sa))

		By("and not with another CA bundle")
		opts.HubCAFile = writeFile("other-ca.crt", otherCA())
		hubCfg, err = opts.HubConfig()
		Expect(err).NotTo(HaveOccurred())
		hub, err = kubernetes.NewForConfig(hubCfg)
		Expect(err).NotTo(HaveOccurred())
		_, err = hub.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		Expect(err).To(MatchError(ContainSubstring("certificate signed by unknown authority")))
	})
})

// otherCA returns a self-signed CA certificate that did not sign the API
// server's.
func otherCA() []byte {
	GinkgoHelper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "not the hub's CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	Expect(err).NotTo(HaveOccurred())
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
