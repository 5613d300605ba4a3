// Package fleet tests Flotilla end to end on real API servers: a hub running
// every hub controller (controllers.SetupHub, as the hub agent does) and three
// member clusters, each with its member agent started in-process with the
// RBAC-restricted hub identity the hub grants it. Users' commands are run
// with kubectl against the hub; what reaches the members is read on their
// own API servers.
package fleet

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/controllers"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/memberagent"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	// timeout is generous: four API servers, four managers and the race
	// detector share two cores with other suites.
	timeout  = 60 * time.Second
	interval = 250 * time.Millisecond
	// quiet is how long a Consistently check watches for something that must not happen.
	quiet = 3 * time.Second
	// heartbeatSeconds is the members' heartbeat period; the hub counts a
	// member unhealthy after three missed heartbeats, so a loaded machine
	// must not make it miss them.
	heartbeatSeconds = 10
	// stuckThreshold is how long a cluster may take to update before its
	// update run reports it stuck (five minutes in production).
	stuckThreshold = 10 * time.Second
)

// member is one member cluster with its agent.
type member struct {
	name   string
	labels map[string]string
	env    *envtest.Environment
	cfg    *rest.Config
	// client is an admin client of the member cluster.
	client client.Client
	// namespace is the member's namespace on the hub.
	namespace string
}

var (
	hubEnv     *envtest.Environment
	hubClient  client.Client
	kubeconfig string
	members    []*member
	ctx        context.Context
	cancel     context.CancelFunc
)

func TestFleet(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fleet end-to-end suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())

	// The tutorial's clusters and labels.
	members = []*member{
		{name: "member1", labels: map[string]string{"environment": "canary", "order": "2"}},
		{name: "member2", labels: map[string]string{"environment": "staging"}},
		{name: "member3", labels: map[string]string{"environment": "canary", "order": "1"}},
	}
	startMemberAPIServers(members)

	env, cfg := framework.StartAPIServer(true)
	hubEnv = env
	hubClient = framework.NewClient(cfg)
	kubeconfig = framework.WriteAdminKubeconfig(hubEnv, GinkgoT().TempDir())
	opts := hubagent.NewOptions()
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.LeaderElect = false
	opts.ResourceChangesCollectionDuration = 100 * time.Millisecond
	opts.UpdateRunStuckThreshold = stuckThreshold
	framework.StartManager(ctx, cfg, func(mgr ctrl.Manager) error {
		return controllers.SetupHub(mgr, cfg, opts, clock.RealClock{})
	})

	for _, m := range members {
		join(m)
	}
	for _, m := range members {
		waitJoined(m)
	}
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	for _, m := range members {
		if m.env != nil {
			Expect(m.env.Stop()).To(Succeed())
		}
	}
	if hubEnv != nil {
		Expect(hubEnv.Stop()).To(Succeed())
	}
})

// startMemberAPIServers starts the members' API servers side by side, each
// with the AppliedWork CRD the member agent needs and nothing else of Fleet.
func startMemberAPIServers(ms []*member) {
	GinkgoHelper()
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		m.namespace = fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, m.name)
		m.env = &envtest.Environment{
			CRDInstallOptions: envtest.CRDInstallOptions{
				Paths:              []string{filepath.Join(framework.CRDPath(), "placement.kubernetes-fleet.io_appliedworks.yaml")},
				ErrorIfPathMissing: true,
			},
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.cfg, errs[i] = m.env.Start()
		}()
	}
	wg.Wait()
	for i, m := range ms {
		Expect(errs[i]).NotTo(HaveOccurred(), "starting the API server of %s", m.name)
		m.client = framework.NewClient(m.cfg)
	}
}

// join registers m on the hub with kubectl, as a fleet admin does, with the
// identity agent-<name>, and starts its member agent with that identity once
// the hub has granted it access to the member's namespace.
func join(m *member) {
	GinkgoHelper()
	identity := "agent-" + m.name
	labels := ""
	for k, v := range m.labels {
		labels += fmt.Sprintf("    %s: %q\n", k, v)
	}
	kubectl(fmt.Sprintf(`
apiVersion: cluster.kubernetes-fleet.io/v1beta1
kind: MemberCluster
metadata:
  name: %s
  labels:
%sspec:
  identity:
    kind: User
    apiGroup: rbac.authorization.k8s.io
    name: %s
  heartbeatPeriodSeconds: %d
`, m.name, labels, identity, heartbeatSeconds), "apply", "-f", "-")
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(hubClient.Get(ctx, types.NamespacedName{Name: m.name}, mc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterReadyToJoin))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	user, err := hubEnv.AddUser(envtest.User{Name: identity}, nil)
	Expect(err).NotTo(HaveOccurred())
	opts := memberagent.NewOptions()
	opts.MemberName = m.name
	opts.LeaderElect = false
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.SkipControllerNameValidation = true
	mgr, err := memberagent.New(user.Config(), m.cfg, opts)
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
}

// waitJoined waits until the hub reports m joined and healthy, which takes
// its agent's heartbeats.
func waitJoined(m *member) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(hubClient.Get(ctx, types.NamespacedName{Name: m.name}, mc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined))).To(BeTrue(), "%s has not joined", m.name)
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy))).To(BeTrue(), "%s is not healthy", m.name)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// kubectl runs kubectl against the hub as an admin and returns its output.
func kubectl(stdin string, args ...string) string {
	GinkgoHelper()
	return framework.Kubectl(ctx, kubeconfig, stdin, args...)
}
