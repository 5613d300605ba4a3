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
	"github.com/flotilla-dev/flotilla/pkg/controllers/scheduler"
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
		if err := placement.NewReconciler(mgr.GetClient(), selector).SetupWithManager(mgr); err != nil {
			return err
		}
		// The placement controller adds the scheduler's finalizer with its
		// own, and the scheduler lets a deleted placement go: there are no
		// member clusters here, so it makes no bindings.
		return scheduler.NewReconciler(mgr.GetClient()).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
