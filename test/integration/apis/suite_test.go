// Package apis holds the API contract tests: the CRDs generated from
// apis/ are installed into a real API server (envtest) and every schema and
// CEL rule is exercised the way users meet it, through create, update and
// kubectl.
package apis

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 10 * time.Second
	interval = 100 * time.Millisecond
)

var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	k8sClient  client.Client
	kubeconfig string
	ctx        context.Context
	cancel     context.CancelFunc
)

func TestAPIs(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "API contract suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	testEnv, cfg = framework.StartAPIServer(true)
	k8sClient = framework.NewClient(cfg)
	kubeconfig = framework.WriteAdminKubeconfig(testEnv, GinkgoT().TempDir())
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// kubectl runs kubectl against the test API server and returns its output.
func kubectl(args ...string) string {
	GinkgoHelper()
	return framework.Kubectl(ctx, kubeconfig, "", args...)
}

// kubectlWithInput is kubectl with stdin, as in `kubectl apply -f - << EOF`.
func kubectlWithInput(stdin string, args ...string) string {
	GinkgoHelper()
	return framework.Kubectl(ctx, kubeconfig, stdin, args...)
}
