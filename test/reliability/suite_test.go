// Package reliability injects faults into a local fleet (pkg/localfleet) with
// two hub agent replicas electing a leader, and proves that staged update
// runs survive them: hub agent and member agent crashes at random points
// (chaos), the leader's death (HA), a hub API server restart and a member API
// server down for a while. The specs audit the API servers' watch streams, so
// they see every change the agents make, not only where they end up.
//
// `make test` runs it with a small count; `make test-reliability` with the
// counts of docs/reliability.md, e.g.
//
//	go test ./test/reliability/ -args --chaos-runs=20 --chaos-kills=10 --member-down=1m
package reliability

import (
	"context"
	"flag"
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

var (
	chaosRuns  = flag.Int("chaos-runs", 4, "How many update runs the chaos spec keeps in flight.")
	chaosKills = flag.Int("chaos-kills", 3, "How many times the chaos spec kills the leading hub agent.")
	memberDown = flag.Duration("member-down", 40*time.Second, "How long the member API server fault keeps a member's API server down.")
	reportFile = flag.String("report", "", "Write the measured figures as JSON to this file.")
)

const (
	// timeout bounds waits for the fleet's agents; a run waits longer (runTimeout).
	timeout    = 2 * time.Minute
	interval   = 250 * time.Millisecond
	runTimeout = 10 * time.Minute
	// stuckThreshold is the hub agents' --update-run-stuck-threshold.
	stuckThreshold = 20 * time.Second
	// leaseDuration is the hub agents' leader election lease: a standby
	// takes over at most this long after the leader stopped renewing.
	leaseDuration = 8 * time.Second
)

var (
	ctx    context.Context
	cancel context.CancelFunc
	fleet  *localfleet.Fleet
	hub    client.WithWatch
	// members are clients of the member clusters, by name.
	members = map[string]client.WithWatch{}
	// figures collects what the specs measured, for the report.
	figures = &report{}
)

func TestReliability(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Reliability suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	dir, err := os.MkdirTemp("", "flotilla-reliability-")
	Expect(err).NotTo(HaveOccurred())
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin"))
	Expect(err).NotTo(HaveOccurred())

	By("starting a hub with two hub agents electing a leader, and the tutorial's three members")
	start := time.Now()
	fleet, err = localfleet.Start(ctx, localfleet.Config{
		Dir: dir, BinDir: bin, Log: GinkgoWriter, HubAgentReplicas: 2,
		HubAgentArgs: []string{
			"--update-run-stuck-threshold=" + stuckThreshold.String(),
			"--leader-election-lease-duration=" + leaseDuration.String(),
			"--leader-election-renew-deadline=6s",
			"--leader-election-retry-period=1s",
		},
	})
	Expect(err).NotTo(HaveOccurred(), "build the fleet's binaries with `make build localfleet-tools`")
	DeferCleanup(stopFleet)
	GinkgoWriter.Printf("local fleet ready in %s (state in %s)\n", time.Since(start).Round(time.Millisecond), dir)

	hub = newClient(fleet.HubKubeconfig)
	for _, m := range fleet.Members {
		members[m.Name] = newClient(m.Kubeconfig)
	}
	Eventually(func() (string, error) { return fleet.HubAgentLeader(ctx) }).
		WithTimeout(timeout).WithPolling(interval).ShouldNot(BeEmpty(), "no hub agent leads")
})

var _ = AfterSuite(func() {
	if *reportFile != "" {
		Expect(figures.write(*reportFile)).To(Succeed())
	}
	GinkgoWriter.Printf("figures: %s\n", figures)
})

// stopFleet stops the fleet and checks that none of its processes outlives it.
func stopFleet() {
	Expect(framework.StopFleet(fleet)).To(Succeed())
	cancel()
}

func newClient(kubeconfig string) client.WithWatch {
	GinkgoHelper()
	c, err := framework.KubeconfigClient(kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// kubectl runs kubectl against the hub, for at most timeout.
func kubectl(stdin string, args ...string) string {
	GinkgoHelper()
	kctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return framework.Kubectl(kctx, fleet.HubKubeconfig, stdin, args...)
}
