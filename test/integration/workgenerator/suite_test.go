// Package workgenerator tests the work generator on a real API server. Only
// the work generator runs: the tests play the member cluster controller
// (MemberClusters and their fleet-member-<cluster> namespaces), the
// placement controller (resource snapshots), the scheduler and the rollout
// (bindings and their RolloutStarted condition) and the member agent (Work
// status and its finalizer on Works) by hand, and check what a user sees on
// the Works and the bindings.
package workgenerator

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers/workgenerator"
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
	// watchClient watches what the controller writes, version by version.
	watchClient client.WithWatch
	ctx         context.Context
	cancel      context.CancelFunc
)

func TestWorkGenerator(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Work generator suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	var err error
	watchClient, err = client.NewWithWatch(restCfg, client.Options{Scheme: k8sClient.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		return workgenerator.NewReconciler(mgr.GetClient()).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
