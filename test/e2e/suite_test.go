// Package e2e runs Flotilla end to end on a local fleet (pkg/localfleet): a
// hub and three member clusters with real control planes, controller
// managers, schedulers and kwok nodes, the hub agent and one member agent per
// member as separate processes. Specs drive it with kubectl, as a user would.
//
// `make test` and `make test-e2e` build what it needs (`make build
// localfleet-tools`) and point KUBEBUILDER_ASSETS at the control-plane
// binaries.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-dev/flotilla/pkg/localfleet"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	// timeout bounds waits for the fleet's agents; intervals are short
	// because every step is event-driven.
	timeout  = 2 * time.Minute
	interval = 250 * time.Millisecond
)

var (
	ctx     context.Context
	cancel  context.CancelFunc
	fleet   *localfleet.Fleet
	hub     client.Client
	members = map[string]client.Client{}
	// memberNames are the tutorial's members, in the fleet's order.
	memberNames []string
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Local fleet end-to-end suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	dir, err := os.MkdirTemp("", "flotilla-e2e-")
	Expect(err).NotTo(HaveOccurred())
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin"))
	Expect(err).NotTo(HaveOccurred())

	By("starting a hub and the tutorial's three members")
	start := time.Now()
	fleet, err = localfleet.Start(ctx, localfleet.Config{
		Dir: dir, BinDir: bin, Log: GinkgoWriter,
		// The bad release spec waits for the run to report its cluster stuck.
		HubAgentArgs: []string{"--update-run-stuck-threshold=20s"},
	})
	Expect(err).NotTo(HaveOccurred(), "build the fleet's binaries with `make build localfleet-tools`")
	DeferCleanup(stopFleet)
	GinkgoWriter.Printf("local fleet ready in %s (state in %s)\n", time.Since(start).Round(time.Millisecond), dir)

	hub = newClient(fleet.HubKubeconfig)
	for _, m := range fleet.Members {
		members[m.Name] = newClient(m.Kubeconfig)
		memberNames = append(memberNames, m.Name)
	}
})

// stopFleet stops the fleet and checks that none of its processes outlives it.
func stopFleet() {
	Expect(framework.StopFleet(fleet)).To(Succeed())
	cancel()
}

func newClient(kubeconfig string) client.Client {
	GinkgoHelper()
	c, err := framework.KubeconfigClient(kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// kubectl runs kubectl against the hub, for at most timeout.
func kubectl(stdin string, args ...string) string {
	GinkgoHelper()
	// No kubectl call may hang the suite (e.g. a delete waiting forever).
	kctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return framework.Kubectl(kctx, fleet.HubKubeconfig, stdin, args...)
}
