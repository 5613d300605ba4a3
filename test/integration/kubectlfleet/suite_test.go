// Package kubectlfleet runs the kubectl fleet plugin in-process against a
// real API server with Flotilla's CRDs, the way a user on the hub runs it:
// approving the stages of update runs (by name, by run and stage, as an
// approver with only the rights to approve), reading a run's progress as a
// tree, and listing and comparing a placement's resource snapshots. One
// story runs the update run controller to show that it accepts the approvals
// the plugin gives.
package kubectlfleet

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
	timeout  = 15 * time.Second
	interval = 100 * time.Millisecond
)

var (
	testEnv *envtest.Environment
	restCfg *rest.Config
	// k8sClient is the test's own admin client, for setting the scene.
	k8sClient client.Client
	// adminKubeconfig is what the plugin runs with unless a spec says otherwise.
	adminKubeconfig string
	ctx             context.Context
	cancel          context.CancelFunc
)

func TestKubectlFleet(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kubectl fleet plugin suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	testEnv, restCfg = framework.StartAPIServer(true)
	k8sClient = framework.NewClient(restCfg)
	adminKubeconfig = framework.WriteAdminKubeconfig(testEnv, GinkgoT().TempDir())
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
