// Package membercluster tests the hub side of member clusters on a real API
// server: the hub prepares each member's namespace and access, turns the
// agent's heartbeats into conditions, and cleans up when the member leaves.
// The member agent is simulated by writing its InternalMemberCluster status.
package membercluster

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
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 15 * time.Second
	interval = 100 * time.Millisecond
)

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestMemberCluster(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Member cluster controller suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		return membercluster.NewReconciler(mgr.GetClient(), clock.RealClock{}).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
