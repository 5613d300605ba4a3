// Package placement tests the placement controller on a real API server:
// every change of a placement's policy yields the next scheduling policy
// snapshot, and every change of what it selects the next resource snapshot,
// with the labels, hash and history the scheduler, rollouts and users rely on.
package placement

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers/placement"
	"github.com/flotilla-dev/flotilla/pkg/selection"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 15 * time.Second
	interval = 100 * time.Millisecond
	// collectionWindow batches changes to selected objects.
	collectionWindow = 300 * time.Millisecond
)

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestPlacement(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Placement controller suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		selector, err := selection.New(restCfg, mgr.GetCache(), collectionWindow)
		if err != nil {
			return err
		}
		return placement.NewReconciler(mgr.GetClient(), selector).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
