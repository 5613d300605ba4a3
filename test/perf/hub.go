package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

// hubAgentStopGrace is how long the hub agent may take to exit on SIGTERM
// before it is killed.
const hubAgentStopGrace = 10 * time.Second

// hub is a hub control plane (envtest: etcd and kube-apiserver with the CRDs)
// and a hub agent running as a child process.
type hub struct {
	env *envtest.Environment
	// admin is the rest config of a system:masters user; each client of the
	// harness derives its own from it so that its writes can be counted.
	admin      *rest.Config
	kubeconfig string
	clientset  kubernetes.Interface

	agent        *exec.Cmd
	agentExited  chan struct{}
	agentLog     *os.File
	agentMetrics string
}

// startControlPlane starts envtest with the CRDs of crdDir, writes an admin
// kubeconfig into dir and creates the fleet-system namespace, which the hub
// agent expects (pkg/localfleet installs it on every hub).
func startControlPlane(ctx context.Context, crdDir, dir string) (*hub, error) {
	env := &envtest.Environment{CRDDirectoryPaths: []string{crdDir}, ErrorIfCRDPathMissing: true}
	if _, err := env.Start(); err != nil {
		return nil, fmt.Errorf("starting the hub control plane: %w", err)
	}
	h := &hub{env: env}
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("adding the admin user: %w", err), h.stop())
	}
	data, err := admin.KubeConfig()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("writing the admin kubeconfig: %w", err), h.stop())
	}
	h.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(h.kubeconfig, data, 0o600); err != nil {
		return nil, errors.Join(err, h.stop())
	}
	h.admin = rest.CopyConfig(admin.Config())
	// The harness must not be the bottleneck it measures.
	h.admin.QPS, h.admin.Burst = 2000, 4000
	if h.clientset, err = kubernetes.NewForConfig(h.admin); err != nil {
		return nil, errors.Join(err, h.stop())
	}
	c, err := client.New(h.admin, client.Options{Scheme: hubagent.NewScheme()})
	if err != nil {
		return nil, errors.Join(err, h.stop())
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: localfleet.FleetSystemNamespace}}
	if err := c.Create(ctx, ns); err != nil {
		return nil, errors.Join(fmt.Errorf("creating namespace %s: %w", localfleet.FleetSystemNamespace, err), h.stop())
	}
	return h, nil
}

// startAgent starts bin/hubagent against the hub, without leader election,
// with metrics and probes on free loopback ports, and waits for /readyz.
func (h *hub) startAgent(ctx context.Context, binDir, dir string, extraArgs, extraEnv []string) error {
	bin, err := filepath.Abs(filepath.Join(binDir, "hubagent"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("hub agent binary (run `make build`): %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	h.agentMetrics = "127.0.0.1:" + strconv.Itoa(ports[0])
	probes := "127.0.0.1:" + strconv.Itoa(ports[1])
	args := append([]string{
		"--leader-elect=false",
		"--metrics-bind-address=" + h.agentMetrics,
		"--health-probe-bind-address=" + probes,
	}, extraArgs...)
	if h.agentLog, err = os.Create(filepath.Join(dir, "hubagent.log")); err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+h.kubeconfig), extraEnv...)
	cmd.Stdout, cmd.Stderr = h.agentLog, h.agentLog
	// Its own process group, so that a Ctrl-C in the terminal reaches the
	// harness only and the harness stops the agent in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	h.agent, h.agentExited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(h.agentExited)
	}()
	return waitReady(ctx, "http://"+probes+"/readyz", h.agentExited, h.agentLog.Name())
}

// agentPID returns the hub agent's process id, 0 when it does not run.
func (h *hub) agentPID() int {
	if h.agent == nil || h.agent.Process == nil {
		return 0
	}
	return h.agent.Process.Pid
}

// agentAlive reports whether the hub agent still runs.
func (h *hub) agentAlive() bool {
	if h.agentExited == nil {
		return false
	}
	select {
	case <-h.agentExited:
		return false
	default:
		return true
	}
}

// stop stops the hub agent (SIGTERM, then SIGKILL after a grace period) and
// the control plane.
func (h *hub) stop() error {
	errs := []error{h.stopAgent()}
	if h.env != nil {
		errs = append(errs, h.env.Stop())
	}
	return errors.Join(errs...)
}

// stopAgent stops the hub agent, if it runs, and closes its log.
func (h *hub) stopAgent() error {
	if h.agent != nil && h.agentAlive() {
		_ = h.agent.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.agentExited:
		case <-time.After(hubAgentStopGrace):
			_ = h.agent.Process.Kill()
			<-h.agentExited
		}
	}
	if h.agentLog == nil {
		return nil
	}
	err := h.agentLog.Close()
	h.agentLog = nil
	return err
}

// waitReady polls url every 200ms until it answers 200, the process exits or
// ctx ends.
func waitReady(ctx context.Context, url string, exited <-chan struct{}, logPath string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("the hub agent exited before it was ready; see %s", logPath)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (log: %s)", url, ctx.Err(), logPath)
		case <-tick.C:
		}
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
