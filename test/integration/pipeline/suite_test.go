// Package pipeline tests the hub's placement pipeline as users meet it: the
// member cluster, placement, scheduler and rollout controllers run together
// against a real API server, simulated member agents heartbeat, and the
// tutorial's commands are run with kubectl.
package pipeline

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers/membercluster"
	"github.com/flotilla-dev/flotilla/pkg/controllers/placement"
	"github.com/flotilla-dev/flotilla/pkg/controllers/rollout"
	"github.com/flotilla-dev/flotilla/pkg/controllers/scheduler"
	"github.com/flotilla-dev/flotilla/pkg/selection"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

var (
	testEnv    *envtest.Environment
	k8sClient  client.Client
	kubeconfig string
	ctx        context.Context
	cancel     context.CancelFunc
)

func TestPipeline(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Hub placement pipeline suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	kubeconfig = framework.WriteAdminKubeconfig(testEnv, GinkgoT().TempDir())
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		selector, err := selection.New(restCfg, mgr.GetCache(), 200*time.Millisecond)
		if err != nil {
			return err
		}
		if err := membercluster.NewReconciler(mgr.GetClient(), clock.RealClock{}).SetupWithManager(mgr); err != nil {
			return err
		}
		if err := placement.NewReconciler(mgr.GetClient(), selector).SetupWithManager(mgr); err != nil {
			return err
		}
		if err := scheduler.NewReconciler(mgr.GetClient()).SetupWithManager(mgr); err != nil {
			return err
		}
		return rollout.NewReconciler(mgr.GetClient(), clock.RealClock{}).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// kubectl runs kubectl against the hub and returns its output.
func kubectl(stdin string, args ...string) string {
	GinkgoHelper()
	return framework.Kubectl(ctx, kubeconfig, stdin, args...)
}
