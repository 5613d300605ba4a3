// Package updaterun tests the update run controller on a real API server as
// users meet it: runs created and approved with kubectl, bindings moving
// stage by stage. A simulated member marks bindings Available the way the
// work generator and member agent would, and the tests control time through
// the controller's clock.
package updaterun

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers/updaterun"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 15 * time.Second
	interval = 100 * time.Millisecond
	// stuckThreshold is the controller's stuck threshold in this suite.
	stuckThreshold = 5 * time.Minute
)

var (
	testEnv    *envtest.Environment
	k8sClient  client.Client
	kubeconfig string
	ctx        context.Context
	cancel     context.CancelFunc
	clk        = &testClock{}
)

func TestUpdateRun(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Update run controller suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	kubeconfig = framework.WriteAdminKubeconfig(testEnv, GinkgoT().TempDir())
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		if err := updaterun.NewReconciler(mgr.GetClient(), mgr.GetAPIReader(), clk, events.NewFakeRecorder(1000), stuckThreshold).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&memberSimulator{client: mgr.GetClient()}).SetupWithManager(mgr)
	})
	createSeedClusters()
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// testClock is the controller's clock: real time plus an offset the tests
// move forward, or a frozen instant.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen *time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return time.Now().Add(c.offset)
}

func (c *testClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// step moves the clock forward by d.
func (c *testClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// freeze stops the clock until the returned function runs.
func (c *testClock) freeze() (thaw func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now().Add(c.offset)
	c.frozen = &now
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.offset = c.frozen.Sub(time.Now())
		c.frozen = nil
	}
}

// kubectl runs kubectl against the hub and returns its output.
func kubectl(stdin string, args ...string) string {
	GinkgoHelper()
	return framework.Kubectl(ctx, kubeconfig, stdin, args...)
}
