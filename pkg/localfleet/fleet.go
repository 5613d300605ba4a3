// Package localfleet runs a local fleet: a hub and member clusters as real
// control planes on loopback, each process a child of the caller.
//
// The hub is etcd, kube-apiserver and kube-controller-manager (namespace
// deletion, garbage collection) with Flotilla's CRDs, the fleet-system
// namespace and the hub agent (bin/hubagent). Each member is etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, which
// plays one fake node so that workloads become Running and Available without
// a container runtime; the AppliedWork CRD; and the member agent
// (bin/memberagent), which reaches the hub with a client certificate for the
// member's identity, so its rights there are exactly those the hub's member
// cluster controller grants. Every process logs to Dir/logs/<name>.log and is
// listed in Dir/processes.json.
//
// Build the binaries with `make build localfleet-tools`; hack/localfleet is
// the command line (make local-up, local-down, local-status).
package localfleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// defaultStartTimeout bounds Start when its context has no deadline.
const defaultStartTimeout = 10 * time.Minute

// FleetSystemNamespace is the namespace of Flotilla's agents on the hub.
const FleetSystemNamespace = "fleet-system"

// MemberIdentity is the hub user a member's agent authenticates as.
func MemberIdentity(member string) string {
	return "flotilla-member-" + member
}

// Member is a running member cluster.
type Member struct {
	// Name is the member cluster's name (its MemberCluster on the hub).
	Name string `json:"name"`
	// Labels are its MemberCluster's labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Kubeconfig is the path of an admin kubeconfig for the member cluster.
	Kubeconfig string `json:"kubeconfig"`
}

// Fleet is a running local fleet. Stop it with Stop.
type Fleet struct {
	// Dir is the fleet's state directory.
	Dir string `json:"dir"`
	// HubKubeconfig is the path of an admin kubeconfig for the hub.
	HubKubeconfig string `json:"hubKubeconfig"`
	// Members are the member clusters, in the order of Config.Members.
	Members []Member `json:"members"`

	cfg     Config
	bins    map[string]string
	log     *progress
	spawner *spawner

	stopOnce sync.Once
	stopErr  error
}

// Start starts a fleet as cfg describes and returns once it is ready: every
// API server serves, the hub agent and every member agent report ready, every
// MemberCluster is Joined and every member's fake node is Ready. It wipes what
// an earlier fleet left in cfg.Dir, and refuses to start while processes of
// an earlier fleet there still run. ctx bounds the start only (10 minutes if
// it has no deadline); the processes run until Stop. If Start fails it stops
// what it started.
func Start(ctx context.Context, cfg Config) (*Fleet, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bins, err := binaries(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	f := &Fleet{
		Dir:           cfg.Dir,
		HubKubeconfig: filepath.Join(cfg.Dir, hubName+".kubeconfig"),
		cfg:           cfg,
		bins:          bins,
		log:           newProgress(cfg.Log),
		spawner:       &spawner{dir: cfg.Dir},
	}
	f.spawner.onExit = func(p *process) { f.log.printf(p.Cluster, "%v", p.exitError()) }
	f.spawner.onRestart = func(name string, p *process, err error) {
		if err != nil {
			f.log.printf("", "restarting %s: %v", name, err)
			return
		}
		f.log.printf(p.Cluster, "%s restarted (pid %d)", name, p.PID)
	}
	for _, m := range cfg.Members {
		f.Members = append(f.Members, Member{Name: m.Name, Labels: m.Labels, Kubeconfig: filepath.Join(cfg.Dir, m.Name+".kubeconfig")})
	}
	if err := f.prepareDir(); err != nil {
		return nil, err
	}
	f.log.printf("", "starting a hub and %d member cluster(s) in %s", len(f.Members), f.Dir)
	if err := f.start(ctx); err != nil {
		f.log.printf("", "start failed; stopping what was started")
		return nil, errors.Join(err, f.Stop())
	}
	f.log.printf("", "fleet ready")
	return f, nil
}

// Stop stops every process the fleet started: the agents first, then
// kwok, the schedulers and controller managers, the API servers and etcd.
// It returns once they have all exited; later calls return the same result.
// The state directory stays, with the logs. A Fleet that Start did not
// return (e.g. one decoded from JSON) has nothing to stop.
func (f *Fleet) Stop() error {
	if f.spawner == nil {
		return nil
	}
	f.stopOnce.Do(func() {
		f.log.printf("", "stopping")
		f.stopErr = f.spawner.stopAll()
		if f.stopErr == nil {
			f.log.printf("", "stopped")
		}
	})
	return f.stopErr
}

// Processes describes the processes the fleet started.
func (f *Fleet) Processes() []ProcessInfo {
	if f.spawner == nil {
		return nil
	}
	var infos []ProcessInfo
	for _, p := range f.spawner.processes() {
		infos = append(infos, p.ProcessInfo)
	}
	return infos
}

// prepareDir makes sure no earlier fleet runs in Dir, wipes what it left
// (clusters, logs, kubeconfigs) and writes kwok's stage file.
func (f *Fleet) prepareDir() error {
	procs, err := ReadProcesses(f.Dir)
	if err != nil {
		return err
	}
	for _, p := range procs {
		if p.Alive() {
			return fmt.Errorf("a fleet already runs in %s (%s, pid %d, is alive); stop it first", f.Dir, p.Name, p.PID)
		}
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(f.Dir, "*.kubeconfig"))
	if err != nil {
		return err
	}
	stale = append(stale, filepath.Join(f.Dir, "clusters"), filepath.Join(f.Dir, "logs"),
		filepath.Join(f.Dir, ProcessesFile), filepath.Join(f.Dir, StagesFile))
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	stages, err := assembleStages(f.bins[kwokStagesDir])
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.Dir, StagesFile), stages, 0o644)
}

// hubFuture hands the hub to the members once it is ready.
type hubFuture struct {
	ready chan struct{}
	hub   *cluster
}

// start brings up the hub and every member concurrently; the members join
// once the hub is ready. The first failure cancels the others.
func (f *Fleet) start(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		first     error
		firstOnce sync.Once
	)
	fail := func(err error) {
		firstOnce.Do(func() { first = err })
		cancel(err)
	}

	hub := &hubFuture{ready: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := f.startHub(ctx)
		if err != nil {
			fail(fmt.Errorf("hub: %w", err))
			return
		}
		hub.hub = c
		close(hub.ready)
	})
	for _, m := range f.cfg.Members {
		wg.Go(func() {
			if err := f.startMember(ctx, m, hub); err != nil {
				fail(fmt.Errorf("member %s: %w", m.Name, err))
			}
		})
	}
	wg.Wait()
	return first
}

// startHub starts the hub's control plane, installs Flotilla's hub CRDs and
// the fleet-system namespace, and starts the hub agent.
func (f *Fleet) startHub(ctx context.Context) (*cluster, error) {
	hub, err := f.startControlPlane(ctx, hubName, f.HubKubeconfig)
	if err != nil {
		return nil, err
	}
	crds, err := hubCRDFiles(f.cfg.CRDDir)
	if err != nil {
		return nil, err
	}
	if err := installCRDs(hub, crds); err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: FleetSystemNamespace}}
	if err := hub.client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", FleetSystemNamespace, err)
	}
	f.log.printf(hubName, "CRDs and namespace %s installed", FleetSystemNamespace)

	if _, err := f.startControllerManager(ctx, hub); err != nil {
		return nil, err
	}
	if err := f.startHubAgents(ctx); err != nil {
		return nil, err
	}
	return hub, nil
}

// hubAgentName names the hub agent's process; further replicas are
// hubagent-2, hubagent-3...
const hubAgentName = "hubagent"

// HubAgents returns the names of the hub agent replicas' processes.
func (f *Fleet) HubAgents() []string {
	names := []string{hubAgentName}
	for i := 2; i <= f.cfg.HubAgentReplicas; i++ {
		names = append(names, fmt.Sprintf("%s-%d", hubAgentName, i))
	}
	return names
}

// startHubAgents starts the hub agent replicas; with more than one, they
// elect a leader through a Lease in fleet-system.
func (f *Fleet) startHubAgents(ctx context.Context) error {
	args := []string{"--leader-elect=false"}
	if f.cfg.HubAgentReplicas > 1 {
		args = []string{"--leader-elect=true", "--leader-election-namespace=" + FleetSystemNamespace}
	}
	args = append(args, f.cfg.HubAgentArgs...)
	for _, name := range f.HubAgents() {
		agent, err := f.startAgent(ctx, hubName, name, f.bins[HubAgentBinary], f.HubKubeconfig, args)
		if err != nil {
			return err
		}
		f.log.printf(hubName, "hub agent %s ready (pid %d)", name, agent.PID)
	}
	return nil
}

// startAgent starts a Flotilla agent with its admin kubeconfig and args
// (which choose leader election), with metrics and probes on free loopback
// ports, and waits until it reports ready. Like a Deployment's pod, the
// agent is started again whenever it exits on its own.
func (f *Fleet) startAgent(ctx context.Context, clusterName, name, bin, kubeconfig string, args []string) (*process, error) {
	p, _, err := f.startListener(ctx, listener{
		cluster: clusterName, name: name, tier: tierAgent, bin: bin, ports: 2, env: []string{"KUBECONFIG=" + kubeconfig},
		restart: true,
		args: func(ports []int) []string {
			return append([]string{
				"--metrics-bind-address=" + loopback(ports[0]),
				"--health-probe-bind-address=" + loopback(ports[1]),
			}, args...)
		},
		ready: func(ports []int) (func(context.Context) error, error) {
			return httpReady(fmt.Sprintf("http://%s/readyz", loopback(ports[1]))), nil
		},
	})
	return p, err
}

// startMember starts a member's control plane, its node components and
// fake node, then, once the hub is ready, its MemberCluster and member agent,
// and waits until the member has joined.
func (f *Fleet) startMember(ctx context.Context, m MemberSpec, hub *hubFuture) error {
	c, err := f.startControlPlane(ctx, m.Name, filepath.Join(f.Dir, m.Name+".kubeconfig"))
	if err != nil {
		return err
	}
	if err := installCRDs(c, []string{filepath.Join(f.cfg.CRDDir, appliedWorkCRDFile)}); err != nil {
		return err
	}
	if err := f.startNodeComponents(ctx, c); err != nil {
		return err
	}

	select {
	case <-hub.ready:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return f.join(ctx, c, m, hub.hub)
}

// join creates the member's MemberCluster on the hub, gives its identity a
// client-certificate kubeconfig for the hub, starts the member agent and
// waits until the MemberCluster is Joined.
func (f *Fleet) join(ctx context.Context, member *cluster, m MemberSpec, hub *cluster) error {
	identity := MemberIdentity(m.Name)
	mc := &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Labels: m.Labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: identity},
		},
	}
	if err := hub.client.Create(ctx, mc); err != nil {
		return fmt.Errorf("creating MemberCluster %s on the hub: %w", m.Name, err)
	}
	cert, err := hub.ca.client(identity)
	if err != nil {
		return err
	}
	hubAccess := filepath.Join(member.dir, "member-agent-hub.kubeconfig")
	if err := (kubeconfig{Cluster: hubName, Server: hub.server, CA: hub.ca.certPEM, User: identity, Cert: cert}).write(hubAccess); err != nil {
		return err
	}

	agent, err := f.startAgent(ctx, m.Name, m.Name+"-agent", f.bins[MemberAgentBinary], member.kubeconfig,
		[]string{"--leader-elect=false", "--hub-kubeconfig=" + hubAccess, "--member-name=" + m.Name})
	if err != nil {
		return err
	}
	f.log.printf(m.Name, "member agent ready (pid %d, hub identity User %s)", agent.PID, identity)

	err = waitFor(ctx, "MemberCluster "+m.Name+" to be Joined", agent, func(ctx context.Context) error {
		if err := hub.client.Get(ctx, client.ObjectKeyFromObject(mc), mc); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined))
		if cond == nil || cond.Status != metav1.ConditionTrue {
			return fmt.Errorf("joined condition: %+v", cond)
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.log.printf(m.Name, "joined the fleet (labels %s)", formatLabels(m.Labels))
	return nil
}

// newScheme returns the scheme of the fleet's clients: the built-in kinds
// and Flotilla's cluster API.
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(clusterv1beta1.AddToScheme(s))
	return s
}

// progress writes timestamped progress lines, one at a time.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, start: time.Now()}
}

// printf writes "[  12.3s] cluster: message".
func (p *progress) printf(cluster, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if cluster != "" {
		msg = cluster + ": " + msg
	}
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), msg)
}

// formatLabels prints labels as k=v,k=v in key order.
func formatLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return "none"
	}
	return strings.TrimSpace(metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: labels}))
}
