package hubagent

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	pkghubagent "github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// freeAddress returns a loopback address with a port nothing listens on.
func freeAddress() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

func startHubAgent(extraArgs ...string) *gexec.Session {
	GinkgoHelper()
	args := append([]string{"--kubeconfig", kubeconfig, "--leader-elect=false"}, extraArgs...)
	session, err := gexec.Start(exec.CommandContext(ctx, hubagent, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	return session
}

var _ = Describe("Hub agent start-up", Ordered, func() {
	It("prints its flags with --help", func() {
		session := startHubAgent("--help")
		Eventually(session).WithTimeout(30 * time.Second).Should(gexec.Exit(0))
		for _, flag := range []string{"-metrics-bind-address", "-health-probe-bind-address", "-leader-elect", "-zap-log-level", "-kubeconfig"} {
			Expect(string(session.Err.Contents())).To(ContainSubstring(flag))
		}
	})

	It("refuses to start without the CRDs and names every missing one", func() {
		session := startHubAgent("--metrics-bind-address=0", "--health-probe-bind-address="+freeAddress())
		Eventually(session).WithTimeout(30 * time.Second).Should(gexec.Exit(1))
		Expect(session.Err).To(gbytes.Say("does not serve 10 required CRD"))
		out := string(session.Err.Contents())
		for _, crd := range []string{
			"clusterapprovalrequests.placement.kubernetes-fleet.io",
			"clusterresourcebindings.placement.kubernetes-fleet.io",
			"clusterresourceplacements.placement.kubernetes-fleet.io",
			"clusterresourcesnapshots.placement.kubernetes-fleet.io",
			"clusterschedulingpolicysnapshots.placement.kubernetes-fleet.io",
			"clusterstagedupdateruns.placement.kubernetes-fleet.io",
			"clusterstagedupdatestrategies.placement.kubernetes-fleet.io",
			"works.placement.kubernetes-fleet.io",
			"memberclusters.cluster.kubernetes-fleet.io",
			"internalmemberclusters.cluster.kubernetes-fleet.io",
		} {
			Expect(out).To(ContainSubstring(crd))
		}
		Expect(out).To(ContainSubstring("kubectl apply -f config/crd/bases"))
	})

	It("finds every required kind once the generated CRDs are installed", func() {
		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{
			Paths:              []string{framework.CRDPath()},
			ErrorIfPathMissing: true,
		})
		Expect(err).NotTo(HaveOccurred())
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() error {
			return pkghubagent.CheckCRDs(ctx, dc, pkghubagent.RequiredKinds(pkghubagent.NewScheme()))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})

	It("starts and reports ready once the CRDs are installed", func() {
		probe := freeAddress()
		session := startHubAgent("--metrics-bind-address=0", "--health-probe-bind-address="+probe)
		DeferCleanup(func() {
			session.Interrupt()
			Eventually(session).WithTimeout(30 * time.Second).Should(gexec.Exit())
		})
		for _, path := range []string{"/healthz", "/readyz"} {
			Eventually(func() (int, error) {
				resp, err := http.Get(fmt.Sprintf("http://%s%s", probe, path))
				if err != nil {
					return 0, err
				}
				defer resp.Body.Close()
				return resp.StatusCode, nil
			}).WithTimeout(30*time.Second).Should(Equal(http.StatusOK), path)
		}
		Consistently(session).WithTimeout(2 * time.Second).ShouldNot(gexec.Exit())
		Expect(string(session.Err.Contents())).To(ContainSubstring("Starting the hub agent"))
	})
})
