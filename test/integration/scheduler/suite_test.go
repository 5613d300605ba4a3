// Package scheduler tests the scheduler on a real API server, together with
// the placement controller that writes the policy snapshots it follows and
// the work generator that lets deleted bindings go once their Works are gone:
// placements get one binding per picked member cluster and a policy snapshot
// status that says whether the policy is fulfilled. Member clusters are
// simulated by writing their Joined and Healthy conditions directly.
package scheduler

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/controllers/placement"
	"github.com/flotilla-dev/flotilla/pkg/controllers/scheduler"
	"github.com/flotilla-dev/flotilla/pkg/controllers/workgenerator"
	"github.com/flotilla-dev/flotilla/pkg/selection"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 15 * time.Second
	interval = 100 * time.Millisecond
	// settle is how long a spec watches for something that must not happen.
	settle = 2 * time.Second
	// collectionWindow batches changes to the objects placements select.
	collectionWindow = 300 * time.Millisecond
)

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestScheduler(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Scheduler suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, restCfg := framework.StartAPIServer(true)
	testEnv = env
	k8sClient = framework.NewClient(restCfg)
	// The namespace the tutorial's placements select.
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "test-namespace"}})).To(Succeed())
	framework.StartManager(ctx, restCfg, func(mgr ctrl.Manager) error {
		selector, err := selection.New(restCfg, mgr.GetCache(), collectionWindow)
		if err != nil {
			return err
		}
		if err := placement.NewReconciler(mgr.GetClient(), selector).SetupWithManager(mgr); err != nil {
			return err
		}
		if err := scheduler.NewReconciler(mgr.GetClient()).SetupWithManager(mgr); err != nil {
			return err
		}
		return workgenerator.NewReconciler(mgr.GetClient()).SetupWithManager(mgr)
	})
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
