// Command perf measures staged rollouts at fleet scale: a real hub (envtest
// and bin/hubagent), member clusters simulated in-process (heartbeats and a
// work applier writing what the member agent writes), N External placements
// rolled out to M clusters by N concurrent update runs, twice (initial and
// update). It reports per phase the wall time, run latencies, API requests
// and writes, the hub agent's CPU, memory and reconciles, and compares the
// latencies with a bound derived from the API server's calibrated write rate.
//
//	make bench BENCH_ARGS="--sizes=10x10,50x20"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// logf prints a timestamped progress line on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// options are the harness's flags.
type options struct {
	sizes          string
	binDir         string
	crdDir         string
	out            string
	hubAgentArgs   stringList
	hubAgentEnv    stringList
	applyDelay     time.Duration
	failureRate    float64
	failureRetry   time.Duration
	applierWorkers int
	runs           int
	phaseRuns      int
	calObjects     int
	calWriters     string
	setupTimeout   time.Duration
	phaseTimeout   time.Duration
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var o options
	flag.StringVar(&o.sizes, "sizes", "10x10", "Fleet sizes to measure, as NxM (placements x clusters), comma-separated; each gets a fresh hub.")
	flag.StringVar(&o.binDir, "bin-dir", "bin", "Directory holding the hubagent binary (make build).")
	flag.StringVar(&o.crdDir, "crd-dir", "config/crd/bases", "Directory of the CRDs to install on the hub.")
	flag.StringVar(&o.out, "out", "bin/perf/results.json", "Where to write the JSON results; hub agent logs go next to it.")
	flag.Var(&o.hubAgentArgs, "hub-agent-arg", "Extra hub agent argument, e.g. --hub-agent-arg=--max-concurrent-reconciles=4 (repeatable).")
	flag.Var(&o.hubAgentEnv, "hub-agent-env", "Extra hub agent environment variable, e.g. --hub-agent-env=GOMEMLIMIT=300MiB (repeatable).")
	flag.DurationVar(&o.applyDelay, "apply-delay", 0, "How long the simulated member agent takes to apply a Work.")
	flag.Float64Var(&o.failureRate, "failure-rate", 0, "Share (0..1) of Work generations whose first apply fails; the retry succeeds.")
	flag.DurationVar(&o.failureRetry, "failure-retry", 2*time.Second, "How long after a simulated failure the member agent retries.")
	flag.IntVar(&o.applierWorkers, "applier-workers", 4, "Workers of the simulated work applier.")
	flag.IntVar(&o.runs, "runs", 0, "Most update runs unfinished at once (0: all N).")
	flag.IntVar(&o.phaseRuns, "phase-runs", 0, "Placements that get an update run in each phase, the first ones by name (0: all N); the others keep their bindings and snapshots.")
	flag.IntVar(&o.calObjects, "calibration-objects", 500, "Objects (cluster updates) per calibration round.")
	flag.StringVar(&o.calWriters, "calibration-writers", "4,16", "Concurrent writers of each calibration round, comma-separated; the bound uses the fastest round.")
	flag.DurationVar(&o.setupTimeout, "setup-timeout", 5*time.Minute, "Limit of each setup wait (join, snapshots, bindings).")
	flag.DurationVar(&o.phaseTimeout, "phase-timeout", 15*time.Minute, "Limit of each rollout phase.")
	// The harness's own controller-runtime logs (heartbeats, informers):
	// errors only unless --zap-log-level says otherwise.
	logOpts := zap.Options{}
	logOpts.BindFlags(flag.CommandLine)
	_ = flag.Set("zap-log-level", "error")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&logOpts), zap.WriteTo(os.Stderr)))

	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "perf: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	sizes, err := parseSizes(o.sizes)
	if err != nil {
		return err
	}
	calWriters, err := parseWriters(o.calWriters)
	if err != nil {
		return fmt.Errorf("--calibration-writers: %w", err)
	}
	if o.calObjects < 1 {
		return fmt.Errorf("--calibration-objects must be at least 1, got %d", o.calObjects)
	}
	if o.failureRate < 0 || o.failureRate > 1 {
		return fmt.Errorf("--failure-rate must be within 0..1, got %v", o.failureRate)
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return errors.New("KUBEBUILDER_ASSETS is not set; run `make bench` or export it to bin/k8s/<version>-<os>-<arch>")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	results := Results{Started: time.Now(), HubAgentArgs: o.hubAgentArgs, HubAgentEnv: o.hubAgentEnv, ApplyDelay: o.applyDelay.String(), FailureRate: o.failureRate}
	var errs []error
	for _, size := range sizes {
		res, err := runSize(ctx, o, calWriters, size[0], size[1])
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
			errs = append(errs, fmt.Errorf("%dx%d: %w", size[0], size[1], err))
		}
		printSize(os.Stdout, res)
		results.Sizes = append(results.Sizes, res)
		if err := writeJSON(o.out, results); err != nil {
			return fmt.Errorf("writing %s: %w", o.out, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Printf("\nresults: %s\n", o.out)
	return errors.Join(errs...)
}

// sizeRun is one size's running fleet.
type sizeRun struct {
	o      options
	n, m   int
	hub    *hub
	driver client.Client
	reader client.Reader
	// Write counters of the harness's clients, to split writes by writer.
	driverWrites, memberWrites *writeCounter
	applier                    *applier
	tracker                    *runTracker
	changed                    *notifier
	bindings                   *bindingCounter
	apiServerPID, etcdPID      int
}

// runSize measures one fleet size on a fresh hub and stops everything it
// started before it returns.
func runSize(ctx context.Context, o options, calWriters []int, n, m int) (res SizeResult, err error) {
	res = SizeResult{Placements: n, Clusters: m}
	dir := filepath.Join(filepath.Dir(o.out), fmt.Sprintf("%dx%d", n, m))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	res.HubAgentLog = filepath.Join(dir, "hubagent.log")
	logf("%dx%d: starting the hub control plane", n, m)
	h, err := startControlPlane(ctx, o.crdDir, dir)
	if err != nil {
		return res, err
	}
	defer func() {
		logf("%dx%d: stopping the hub agent and the control plane", n, m)
		err = errors.Join(err, h.stop())
	}()

	s := &sizeRun{o: o, n: n, m: m, hub: h, driverWrites: newWriteCounter(), memberWrites: newWriteCounter(), tracker: newRunTracker()}
	s.apiServerPID, s.etcdPID = childByComm(os.Getpid(), "kube-apiserver"), childByComm(os.Getpid(), "etcd")
	driver, err := s.countedClient(s.driverWrites)
	if err != nil {
		return res, err
	}
	s.driver = driver
	member, err := s.countedClient(s.memberWrites)
	if err != nil {
		return res, err
	}

	// The phases' bounds come from the faster of two calibrations, before
	// the hub agent starts and after the phases with it stopped again: the
	// machine is shared, and a calibration that other work slowed down
	// would make the bound too loose.
	res.Calibration.Objects = o.calObjects
	defer func() { res.applyBounds() }()
	logf("%dx%d: calibrating the API server's write rate", n, m)
	rounds, err := calibrate(ctx, driver, o.calObjects, calWriters, "before")
	res.Calibration.add(rounds...)
	if err != nil {
		return res, err
	}

	logf("%dx%d: starting the hub agent %s %s", n, m, strings.Join(o.hubAgentEnv, " "), strings.Join(o.hubAgentArgs, " "))
	if err := h.startAgent(ctx, o.binDir, dir, o.hubAgentArgs, o.hubAgentEnv); err != nil {
		return res, err
	}

	bg, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := cache.New(h.admin, cache.Options{Scheme: hubagent.NewScheme()})
	if err != nil {
		return res, err
	}
	s.reader = c
	if s.changed, s.bindings, err = watchScenario(bg, c, s.tracker); err != nil {
		return res, err
	}
	s.applier = newApplier(c, member, o.applyDelay, o.failureRetry, o.failureRate)
	if err := s.applier.start(bg, c, o.applierWorkers); err != nil {
		return res, err
	}
	go func() { _ = c.Start(bg) }()
	if !c.WaitForCacheSync(bg) {
		return res, errors.New("the harness's informers did not sync")
	}

	start := time.Now()
	logf("%dx%d: creating %d member clusters and heartbeating", n, m, m)
	if err := createMembers(ctx, driver, m); err != nil {
		return res, err
	}
	beats := heartbeats(bg, member, m)
	defer func() {
		cancel()
		beats.Wait()
	}()
	if err := s.changed.waitUntil(ctx, "members to join", o.setupTimeout, func() (bool, string) { return allJoined(ctx, c, m) }); err != nil {
		return res, err
	}
	res.JoinSeconds = time.Since(start).Seconds()

	start = time.Now()
	before, err := s.measure(ctx)
	if err != nil {
		return res, err
	}
	logf("%dx%d: creating the strategy, %d namespaces and placements", n, m, n)
	if err := createStrategy(ctx, driver); err != nil {
		return res, err
	}
	if err := createPlacements(ctx, driver, n); err != nil {
		return res, err
	}
	if err := s.waitSnapshots(ctx, 0); err != nil {
		return res, err
	}
	res.SetupSecs = time.Since(start).Seconds()
	after, err := s.measure(ctx)
	if err != nil {
		return res, err
	}
	res.Setup = setupCosts(before, after)

	for _, ph := range []struct {
		name  string
		index int
	}{{"initial", 0}, {"update", 1}} {
		var prep time.Duration
		if ph.index > 0 {
			start := time.Now()
			logf("%dx%d: updating %d ConfigMaps", n, m, n)
			if err := updateConfigMaps(ctx, driver, n, ph.name); err != nil {
				return res, err
			}
			if err := s.waitSnapshots(ctx, ph.index); err != nil {
				return res, err
			}
			prep = time.Since(start)
		}
		logf("%dx%d: phase %s: creating %d update runs", n, m, ph.name, s.runsPerPhase())
		p, err := s.phase(ctx, ph.name, ph.index+1, ph.index)
		p.PrepSeconds = prep.Seconds()
		res.Phases = append(res.Phases, p)
		if !h.agentAlive() {
			res.Problems = append(res.Problems, "the hub agent exited during phase "+ph.name)
		}
		if err != nil {
			return res, fmt.Errorf("phase %s: %w", ph.name, err)
		}
	}
	if n := s.applier.errors.Load(); n > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("the simulated applier failed %d times to write a Work status (retried)", n))
	}

	logf("%dx%d: stopping the hub agent and calibrating again", n, m)
	if err := h.stopAgent(); err != nil {
		return res, err
	}
	rounds, err = calibrate(ctx, driver, o.calObjects, calWriters, "after")
	res.Calibration.add(rounds...)
	return res, err
}

// setupCosts is what setting the fleet up cost between two measurements.
func setupCosts(before, after measurement) SetupCosts {
	requests := diff(before.api, after.api, apiRequestsMetric)
	return SetupCosts{
		WritesByResource:    sumBy(requests, isWrite, "verb", "resource", "subresource"),
		Conflicts:           total(requests, isConflict),
		HubAgentCPUSeconds:  after.agentCPU - before.agentCPU,
		APIServerCPUSeconds: after.apiCPU - before.apiCPU,
	}
}

// countedClient returns a client of the admin user whose writes counter counts.
func (s *sizeRun) countedClient(counter *writeCounter) (client.Client, error) {
	cfg := rest.CopyConfig(s.hub.admin)
	cfg.WrapTransport = counter.wrap
	return client.New(cfg, client.Options{Scheme: hubagent.NewScheme()})
}

// waitSnapshots waits until every placement has resource snapshot index and
// bindings for every cluster.
func (s *sizeRun) waitSnapshots(ctx context.Context, index int) error {
	return s.changed.waitUntil(ctx, fmt.Sprintf("placements at snapshot %d", index), s.o.setupTimeout, func() (bool, string) {
		return placementsReady(ctx, s.reader, s.bindings, s.n, s.m, index)
	})
}

// measurement is the state of the counters at one moment.
type measurement struct {
	api, agent                metrics
	agentCPU, apiCPU, etcdCPU float64
	harnessCPU                float64
	driver, member            int64
	failures                  int64
}

func (s *sizeRun) measure(ctx context.Context) (measurement, error) {
	api, err := scrapeAPIServer(ctx, s.hub.clientset)
	if err != nil {
		return measurement{}, err
	}
	agent, err := scrapeHTTP(ctx, s.hub.agentMetrics)
	if err != nil {
		return measurement{}, err
	}
	return measurement{
		api: api, agent: agent,
		agentCPU: cpuSeconds(s.hub.agentPID()), apiCPU: cpuSeconds(s.apiServerPID), etcdCPU: cpuSeconds(s.etcdPID),
		harnessCPU: cpuSeconds(os.Getpid()),
		driver:     s.driverWrites.snapshot(), member: s.memberWrites.snapshot(),
		failures: s.applier.failures.Load(),
	}, nil
}

// runsPerPhase is how many placements get a run in each phase.
func (s *sizeRun) runsPerPhase() int {
	if s.o.phaseRuns > 0 && s.o.phaseRuns < s.n {
		return s.o.phaseRuns
	}
	return s.n
}

// phase creates a run (number seq) of each of the first runsPerPhase
// placements at index, waits for them and their placements' status, and
// measures.
func (s *sizeRun) phase(ctx context.Context, name string, seq, index int) (PhaseResult, error) {
	k := s.runsPerPhase()
	p := PhaseResult{Name: name, Runs: k, ClusterUpdates: k * s.m, MinWrites: minWrites(k, s.m)}
	before, err := s.measure(ctx)
	if err != nil {
		return p, err
	}
	limit := s.o.runs
	if limit <= 0 || limit > s.n {
		limit = s.n
	}
	names, runErr := startRuns(ctx, s.driver, s.tracker, k, seq, index, limit, s.o.phaseTimeout)
	runsDone := time.Now()
	if runErr == nil {
		runErr = s.changed.waitUntil(ctx, fmt.Sprintf("placements available at snapshot %d", index), s.o.setupTimeout, func() (bool, string) {
			return placementsSettled(ctx, s.reader, k, s.m, index)
		})
		p.SettleSeconds = time.Since(runsDone).Seconds()
	}
	after, err := s.measure(ctx)
	if err != nil {
		return p, errors.Join(runErr, err)
	}

	var first, last time.Time
	var observed, transition []float64
	for _, n := range names {
		r := s.tracker.result(n)
		if first.IsZero() || r.created.Before(first) {
			first = r.created
		}
		if r.finished.IsZero() {
			continue
		}
		if r.finished.After(last) {
			last = r.finished
		}
		if !r.succeeded {
			p.Failed = append(p.Failed, fmt.Sprintf("%s (%s)", n, r.reason))
			continue
		}
		p.Succeeded++
		observed = append(observed, r.finished.Sub(r.created).Seconds())
		transition = append(transition, max(0, r.transition.Sub(r.created).Seconds()))
	}
	p.Unfinished = unfinishedRuns(ctx, s.reader, s.tracker, names)
	if !last.IsZero() {
		p.WallSeconds = last.Sub(first).Seconds()
	}
	p.Latency, p.TransitionLatency = summarise(observed), summarise(transition)

	requests := diff(before.api, after.api, apiRequestsMetric)
	p.APIRequests = sumBy(requests, nil, "verb", "resource", "subresource")
	p.APIServerSeconds = sumBy(diff(before.api, after.api, apiRequestSecondsMetric), notLongRunning, "verb", "resource", "subresource")
	p.Writes = total(requests, isWrite)
	p.WritesPerClusterUpdate = p.Writes / float64(p.ClusterUpdates)
	p.WritesByResource = sumBy(requests, isWrite, "verb", "resource", "subresource")
	p.Conflicts = total(requests, isConflict)
	p.ConflictsByResource = sumBy(requests, isConflict, "verb", "resource", "subresource")
	agentWrites := total(diff(before.agent, after.agent, restClientRequestsMetr), isWriteMethod)
	driver, member := float64(after.driver-before.driver), float64(after.member-before.member)
	p.WritesByWriter = map[string]float64{
		"hub-agent": agentWrites, "member-sim": member, "driver": driver,
		"other": max(0, p.Writes-agentWrites-member-driver),
	}
	p.SimulatedFailures = after.failures - before.failures

	p.HubAgentCPUSeconds = after.agentCPU - before.agentCPU
	p.APIServerCPUSeconds = after.apiCPU - before.apiCPU
	p.EtcdCPUSeconds = after.etcdCPU - before.etcdCPU
	p.HarnessCPUSeconds = after.harnessCPU - before.harnessCPU
	if rss, err := peakRSSMiB(s.hub.agentPID()); err == nil {
		p.HubAgentPeakRSSMiB = rss
	}
	p.Reconciles = sumBy(diff(before.agent, after.agent, reconcileTotalMetric), nil, "controller", "result")
	p.ReconcileErrors = sumBy(diff(before.agent, after.agent, reconcileErrorsMetric), nil, "controller")

	p.Update = index > 0
	return p, runErr
}
