// Package hostile feeds a hub running every hub controller (as the hub agent
// does) with hostile and malformed input, and checks that each gets a clear
// rejection from the API server or a condition that says what is wrong:
// attempts to get around the CRDs' CEL rules, oversized values, reserved
// namespaces and fleet's own kinds selected for placement, and RBAC
// escalation by a user who may write placements and RBAC objects.
package hostile

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	// timeout is generous: the race detector and other suites share two cores.
	timeout  = 30 * time.Second
	interval = 200 * time.Millisecond
)

var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestHostile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Hostile input suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	testEnv, cfg = framework.StartAPIServer(true)
	k8sClient = framework.NewClient(cfg)
	opts := hubagent.NewOptions()
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.LeaderElect = false
	opts.ResourceChangesCollectionDuration = 100 * time.Millisecond
	framework.StartManager(ctx, cfg, func(mgr ctrl.Manager) error {
		return controllers.SetupHub(mgr, cfg, opts, clock.RealClock{})
	})
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
