// Package rollout tests the rolling update controller on a real API server.
// Only the rollout controller runs: the tests play the placement controller
// (resource snapshots), the scheduler (bindings) and the work generator
// (Available on bindings) by hand, and check what a user sees on the
// bindings.
package rollout

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

	"github.com/flotilla-dev/flotilla/pkg/controllers/rollout"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	// timeout bounds every wait for the controller to act.
	timeout = 15 * time.Second
	// interval is how often a wait looks again.
	interval = 100 * time.Millisecond
	// holdFor is how long a test watches that the controller does not act.
	holdFor = time.Second
)

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestRollout(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Rollout controller suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		return rollout.NewReconciler(mgr.GetClient(), clock.RealClock{}).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
