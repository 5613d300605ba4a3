// Package memberagent tests the member agent against real API servers: one
// hub (with Flotilla's CRDs and the hub's member cluster controller) and two
// member clusters (with only the AppliedWork CRD), each with its agent
// started in-process with the RBAC-restricted hub identity the hub grants it.
// Works are written on the hub by the tests, as the work generator would.
package memberagent

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/controllers/membercluster"
	"github.com/flotilla-dev/flotilla/pkg/memberagent"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	timeout  = 30 * time.Second
	interval = 200 * time.Millisecond
	// quiet is how long a Consistently check watches for something that must not happen.
	quiet = 3 * time.Second
	// heartbeatSeconds is the members' heartbeat period.
	heartbeatSeconds = 2
)

// member is one member cluster with its agent.
type member struct {
	name string
	env  *envtest.Environment
	// client is an admin client of the member cluster.
	client client.Client
	// hubConfig is the agent's RBAC-restricted identity on the hub.
	hubConfig *rest.Config
	// namespace is the member's namespace on the hub.
	namespace string
}

var (
	hubEnv    *envtest.Environment
	hubClient client.Client
	member1   *member
	member2   *member
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestMemberAgent(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Member agent suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	env, cfg := framework.StartAPIServer(true)
	hubEnv = env
	hubClient = framework.NewClient(cfg)
	framework.StartManager(ctx, cfg, func(mgr ctrl.Manager) error {
		return membercluster.NewReconciler(mgr.GetClient(), clock.RealClock{}).SetupWithManager(mgr)
	})
	member1 = startMember("member1")
	member2 = startMember("member2")
})

var _ = AfterSuite(func() {
	cancel()
	for _, m := range []*member{member1, member2} {
		if m != nil {
			Expect(m.env.Stop()).To(Succeed())
		}
	}
	if hubEnv != nil {
		Expect(hubEnv.Stop()).To(Succeed())
	}
})

// startMember starts a member cluster's API server, registers the cluster
// on the hub with identity agent-<name>, and starts its agent with that
// identity.
func startMember(name string) *member {
	GinkgoHelper()
	env := &envtest.Environment{
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:              []string{filepath.Join(framework.CRDPath(), "placement.kubernetes-fleet.io_appliedworks.yaml")},
			ErrorIfPathMissing: true,
		},
	}
	memberCfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred())
	m := &member{name: name, env: env, client: framework.NewClient(memberCfg), namespace: fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, name)}

	// The hub prepares the member's namespace and grants the identity access to it.
	identity := "agent-" + name
	Expect(hubClient.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity:               rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: identity},
			HeartbeatPeriodSeconds: heartbeatSeconds,
		},
	})).To(Succeed())
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(hubClient.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterReadyToJoin))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

	user, err := hubEnv.AddUser(envtest.User{Name: identity}, nil)
	Expect(err).NotTo(HaveOccurred())
	m.hubConfig = user.Config()

	opts := memberagent.NewOptions()
	opts.MemberName = name
	opts.LeaderElect = false
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.SkipControllerNameValidation = true
	mgr, err := memberagent.New(m.hubConfig, memberCfg, opts)
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	return m
}
