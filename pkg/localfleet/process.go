package localfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ProcessesFile lists the processes of a running fleet in its Dir, as JSON
// ([]ProcessInfo). It is removed once Stop has seen every process exit.
const ProcessesFile = "processes.json"

// stopTimeout is how long a process has to exit after SIGTERM before it is
// killed.
const stopTimeout = 20 * time.Second

// restartDelay is how long the fleet waits before it starts again a
// restartable process that exited on its own, as a kubelet's back-off would.
const restartDelay = time.Second

// Stop tiers: Stop ends the processes of the highest tier first, all of a
// tier at once, so that nothing loses its API server while it still runs.
const (
	tierEtcd = iota
	tierAPIServer
	tierClusterComponent // kube-controller-manager, kube-scheduler, kwok
	tierAgent
)

// ProcessInfo describes a process the fleet started.
type ProcessInfo struct {
	// Name is unique in the fleet, e.g. hub-apiserver or member1-agent.
	Name string `json:"name"`
	// Cluster is "hub" or the member's name.
	Cluster string `json:"cluster"`
	// PID is the process id; the process leads its own process group.
	PID int `json:"pid"`
	// Command is the binary and its arguments.
	Command []string `json:"command"`
	// Log is the file receiving the process's stdout and stderr.
	Log string `json:"log"`
}

// Alive reports whether the process still runs: its pid exists, is not a
// zombie, and runs the recorded binary (so a reused pid does not count).
func (p ProcessInfo) Alive() bool {
	if p.PID <= 0 || len(p.Command) == 0 {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "cmdline"))
	if err != nil {
		return false
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	if string(argv0) != p.Command[0] {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "stat"))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return true
}

// ReadProcesses returns the processes a fleet in dir started, as recorded in
// its ProcessesFile; none when the file does not exist.
func ReadProcesses(dir string) ([]ProcessInfo, error) {
	data, err := os.ReadFile(filepath.Join(dir, ProcessesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var procs []ProcessInfo
	if err := json.Unmarshal(data, &procs); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, ProcessesFile), err)
	}
	return procs, nil
}

// KillLeftovers ends the recorded processes of a fleet in dir that still run,
// e.g. after its supervisor was killed: SIGTERM, then SIGKILL after a grace
// period. It removes the ProcessesFile when none is left and returns the
// names of the processes it had to end.
func KillLeftovers(dir string) ([]string, error) {
	procs, err := ReadProcesses(dir)
	if err != nil {
		return nil, err
	}
	var alive []ProcessInfo
	for _, p := range procs {
		if p.Alive() {
			alive = append(alive, p)
		}
	}
	var names []string
	for _, p := range alive {
		names = append(names, p.Name)
		_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	}
	deadline := time.Now().Add(stopTimeout)
	for len(alive) > 0 && time.Now().Before(deadline) {
		alive = slices.DeleteFunc(alive, func(p ProcessInfo) bool { return !p.Alive() })
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range alive {
		_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	}
	deadline = time.Now().Add(5 * time.Second)
	for len(alive) > 0 && time.Now().Before(deadline) {
		alive = slices.DeleteFunc(alive, func(p ProcessInfo) bool { return !p.Alive() })
		time.Sleep(100 * time.Millisecond)
	}
	if len(alive) > 0 {
		var left []string
		for _, p := range alive {
			left = append(left, fmt.Sprintf("%s (pid %d)", p.Name, p.PID))
		}
		return names, fmt.Errorf("still running after SIGKILL: %s", strings.Join(left, ", "))
	}
	if err := os.Remove(filepath.Join(dir, ProcessesFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return names, err
	}
	return names, nil
}

// command is what the fleet starts: a binary with its arguments, and how
// to treat the process.
type command struct {
	cluster, name string
	tier          int
	bin           string
	args, env     []string
	// ports are the loopback ports the process listens on, in the order its
	// listener asked for them (metrics first for agents).
	ports []int
	// ready checks that the process serves; nil when nothing is checked.
	ready func(context.Context) error
	// restart makes the fleet start the process again when it exits on its
	// own, as a kubelet restarts a crashed container.
	restart bool
}

// process is a child process of the fleet.
type process struct {
	ProcessInfo
	command
	cmd *exec.Cmd
	// stopping is set when the fleet ends the process on purpose, so that it
	// is neither reported nor restarted.
	stopping atomic.Bool
	// served is set once the process (or one it was restarted from) was
	// ready: only such a process is restarted, not one failing its start.
	served atomic.Bool
	// done is closed when the process has exited; err is then its exit error.
	done chan struct{}
	err  error
}

// exited reports whether the process has exited, with its exit error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// exitError describes an unexpected exit, pointing at the log.
func (p *process) exitError() error {
	_, err := p.exited()
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%s exited (%w); see %s", p.Name, err, p.Log)
}

// stop sends SIGTERM to the process's group and waits for the process to
// exit, killing the group after stopTimeout.
func (p *process) stop() error {
	p.stopping.Store(true)
	if done, _ := p.exited(); done {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	select {
	case <-p.done:
		return fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", p.Name, p.PID, stopTimeout)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) still runs after SIGKILL", p.Name, p.PID)
	}
}

// kill sends SIGKILL to the process's group, as a crash would (a
// restartable process is started again), and waits for the process to exit.
func (p *process) kill() error {
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) still runs after SIGKILL", p.Name, p.PID)
	}
}

// spawner starts the fleet's processes and remembers them.
type spawner struct {
	dir string // the fleet's Dir

	// onExit, if set, is told about a process that exits on its own before
	// stopAll.
	onExit func(p *process)
	// onRestart, if set, is told how the restart of a restartable process
	// that exited on its own went: the new process, or why it failed.
	onRestart func(name string, p *process, err error)

	mu     sync.Mutex
	procs  []*process
	closed bool
	// stopped is closed by stopAll; restarts wait on it.
	stopped chan struct{}
}

// spawn starts bin with args as process name of cluster, its output going to
// Dir/logs/<name>.log and env added to the environment (without KUBECONFIG,
// which each process gets explicitly).
func (s *spawner) spawn(cluster, name string, tier int, bin string, args []string, env ...string) (*process, error) {
	return s.start(command{cluster: cluster, name: name, tier: tier, bin: bin, args: args, env: env})
}

// start starts c. The process leads its own process group, so that a
// terminal's Ctrl-C reaches only the fleet's supervisor, which stops the
// processes in order, and it is killed if the supervisor dies.
func (s *spawner) start(c command) (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(c, os.O_TRUNC, -1, false)
}

// startLocked starts c; logMode is os.O_TRUNC for a new process and
// os.O_APPEND for a restart, which replaces the process at index at (-1
// appends) and says whether its predecessor served.
func (s *spawner) startLocked(c command, logMode, at int, served bool) (*process, error) {
	if s.closed {
		return nil, errors.New("the fleet is stopping")
	}
	logPath := filepath.Join(s.dir, "logs", c.name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|logMode, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.bin, c.args...)
	cmd.Dir = s.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "KUBECONFIG=")
	}), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", c.name, err)
	}
	p := &process{
		ProcessInfo: ProcessInfo{Name: c.name, Cluster: c.cluster, PID: cmd.Process.Pid, Command: slices.Clone(cmd.Args), Log: logPath},
		command:     c,
		cmd:         cmd,
		done:        make(chan struct{}),
	}
	p.served.Store(served)
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
		s.exited(p)
	}()
	if at >= 0 {
		s.procs[at] = p
	} else {
		s.procs = append(s.procs, p)
	}
	return p, s.recordLocked()
}

// exited handles the exit of p: one the fleet did not ask for is reported,
// and a restartable process that had served is started again after
// restartDelay.
func (s *spawner) exited(p *process) {
	s.mu.Lock()
	unexpected := !s.closed && !p.stopping.Load()
	stopped := s.stoppedLocked()
	s.mu.Unlock()
	if !unexpected {
		return
	}
	if s.onExit != nil {
		s.onExit(p)
	}
	if !p.restart || !p.served.Load() {
		return
	}
	select {
	case <-stopped:
		return
	case <-time.After(restartDelay):
	}
	np, err := s.restart(p)
	if s.onRestart != nil {
		s.onRestart(p.Name, np, err)
	}
}

// stoppedLocked returns the channel stopAll closes.
func (s *spawner) stoppedLocked() chan struct{} {
	if s.stopped == nil {
		s.stopped = make(chan struct{})
	}
	return s.stopped
}

// restart starts the command of p, which has exited, again in its place:
// same arguments, ports and log (appended to).
func (s *spawner) restart(p *process) (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if done, _ := p.exited(); !done {
		return nil, fmt.Errorf("%s (pid %d) still runs", p.Name, p.PID)
	}
	at := slices.Index(s.procs, p)
	if at < 0 {
		return nil, fmt.Errorf("%s (pid %d) was already replaced", p.Name, p.PID)
	}
	return s.startLocked(p.command, os.O_APPEND, at, p.served.Load())
}

// lookup returns the current process called name, or nil.
func (s *spawner) lookup(name string) *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// recordLocked writes the ProcessesFile.
func (s *spawner) recordLocked() error {
	infos := make([]ProcessInfo, 0, len(s.procs))
	for _, p := range s.procs {
		infos = append(infos, p.ProcessInfo)
	}
	data, err := json.MarshalIndent(infos, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, ProcessesFile)
	if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// forget drops p, which has exited, from the processes of the fleet.
func (s *spawner) forget(p *process) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs = slices.DeleteFunc(s.procs, func(q *process) bool { return q == p })
	return s.recordLocked()
}

// processes returns the started processes.
func (s *spawner) processes() []*process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.procs)
}

// stopAll refuses further spawns and stops every process, highest tier
// first, the processes of one tier concurrently. It removes the
// ProcessesFile when every process has exited.
func (s *spawner) stopAll() error {
	s.mu.Lock()
	if !s.closed {
		close(s.stoppedLocked())
	}
	s.closed = true
	procs := slices.Clone(s.procs)
	s.mu.Unlock()

	var errs []error
	for tier := tierAgent; tier >= tierEtcd; tier-- {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, p := range procs {
			if p.tier != tier {
				continue
			}
			wg.Go(func() {
				if err := p.stop(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	for _, p := range procs {
		if done, _ := p.exited(); !done {
			return errors.Join(errs...)
		}
	}
	if err := os.Remove(filepath.Join(s.dir, ProcessesFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxPortAttempts is how many times a process is started on new ports when
// one it was given was taken before it could bind it.
const maxPortAttempts = 3

// listener is a process that listens on loopback ports the fleet picks.
type listener struct {
	cluster, name string
	tier          int
	bin           string
	env           []string
	// ports is how many free ports the process needs.
	ports int
	// args returns the process's arguments for its ports.
	args func(ports []int) []string
	// ready returns the check that the process listening on ports is ready.
	ready func(ports []int) (func(context.Context) error, error)
	// restart makes the fleet start the process again if it exits on its own.
	restart bool
}

// startListener starts l on free loopback ports and waits until it is ready.
// Another process may take a port between freePort and the bind (other
// programs start servers too); when l exits saying so, it starts again on
// new ports.
func (f *Fleet) startListener(ctx context.Context, l listener) (*process, []int, error) {
	for attempt := 1; ; attempt++ {
		ports := make([]int, l.ports)
		for i := range ports {
			var err error
			if ports[i], err = freePort(); err != nil {
				return nil, nil, err
			}
		}
		check, err := l.ready(ports)
		if err != nil {
			return nil, nil, err
		}
		p, err := f.spawner.start(command{
			cluster: l.cluster, name: l.name, tier: l.tier, bin: l.bin, args: l.args(ports), env: l.env,
			ports: ports, ready: check, restart: l.restart,
		})
		if err != nil {
			return nil, nil, err
		}
		err = waitFor(ctx, l.name, p, check)
		if err == nil {
			p.served.Store(true)
			return p, ports, nil
		}
		if done, _ := p.exited(); !done || attempt == maxPortAttempts || !logMentions(p.Log, "address already in use") {
			return nil, nil, err
		}
		if err := f.spawner.forget(p); err != nil {
			return nil, nil, err
		}
		f.log.printf(l.cluster, "%s: a port was taken before it could bind it; starting it on other ports", l.name)
	}
}

// logMentions reports whether the log file at path contains s.
func logMentions(path, s string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte(s))
}

// ports hands out free loopback ports, never the same one twice in a process.
var ports = struct {
	sync.Mutex
	used map[int]bool
}{used: map[int]bool{}}

// freePort returns a loopback TCP port nothing listens on.
func freePort() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !ports.used[port] {
			ports.used[port] = true
			return port, nil
		}
	}
	return 0, errors.New("finding a free port: every port offered was already handed out")
}

// loopback returns 127.0.0.1:port.
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
