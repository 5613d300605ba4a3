// Command localfleet starts, stops and inspects a local fleet: a hub and
// member clusters on loopback, with Flotilla's hub and member agents (see
// pkg/localfleet).
//
//	go run ./hack/localfleet up     [--dir .localfleet] [--members 3|name,name] [--foreground]
//	go run ./hack/localfleet down   [--dir .localfleet]
//	go run ./hack/localfleet status [--dir .localfleet]
//
// `up` starts a detached supervisor process that runs the fleet, waits until
// the fleet is ready and prints `export KUBECONFIG=...` lines on stdout
// (progress goes to stderr), so `eval "$(go run ./hack/localfleet up)"`
// points kubectl at the hub. The fleet keeps running after `up` returns;
// `down` stops it. With --foreground the fleet runs in the command itself
// until Ctrl-C. Build the binaries first: `make build localfleet-tools`
// (`make local-up` does).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

// Files of the supervisor in the fleet's directory.
const (
	supervisorFile    = "supervisor.json" // localfleet.ProcessInfo of the supervisor
	supervisorLogFile = "supervisor.log"  // its progress lines
	readyFile         = "ready.json"      // the running localfleet.Fleet
	failedFile        = "failed"          // why Start failed
)

// superviseCommand is the hidden subcommand `up` re-executes itself with.
const superviseCommand = "supervise"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "up":
		err = up(args)
	case superviseCommand:
		err = supervise(args)
	case "down":
		err = down(args)
	case "status":
		err = status(args)
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		var exit exitCode
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintf(os.Stderr, "localfleet %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// exitCode ends the command with a status, its message already printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage() {
	fmt.Fprint(os.Stderr, `Usage: localfleet up|down|status [flags]

  up      start a local fleet (hub + member clusters on loopback) and leave it running
  down    stop it and wait until every process has exited
  status  list the fleet's processes and member clusters

Run "localfleet <command> -h" for the flags of a command.
`)
}

// options are the flags up and supervise share.
type options struct {
	dir        string
	binDir     string
	crdDir     string
	members    string
	timeout    time.Duration
	foreground bool
	// hubAgentArgs are extra hub agent flags, --hub-agent-arg repeated.
	hubAgentArgs stringList
	// hubAgents is how many hub agent replicas run (leader election above 1).
	hubAgents int
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.dir, "dir", ".localfleet", "State directory of the fleet: kubeconfigs, logs, certificates.")
	fs.StringVar(&o.binDir, "bin-dir", "bin", "Directory of hubagent and memberagent (make build); the control-plane binaries are also looked up in its k8s/<version>-<os>-<arch>/ (make localfleet-tools).")
	fs.StringVar(&o.crdDir, "crd-dir", "", "Directory of Flotilla's CRDs (default: config/crd/bases of the repository holding the working directory).")
	fs.StringVar(&o.members, "members", "3", "Member clusters: a count (member1..memberN) or comma-separated names. member1..member3 get the tutorial's labels.")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "How long the fleet may take to become ready.")
	fs.Var(&o.hubAgentArgs, "hub-agent-arg", "An extra hub agent flag, e.g. --hub-agent-arg=--pprof-bind-address=127.0.0.1:6060; repeat for more.")
	fs.IntVar(&o.hubAgents, "hub-agents", 1, "How many hub agent replicas run; more than one elect a leader, as the chart's replicas do.")
}

func parseOptions(name string, args []string, withForeground bool) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.register(fs)
	if withForeground {
		fs.BoolVar(&o.foreground, "foreground", false, "Run the fleet in this command until Ctrl-C, instead of in a detached supervisor.")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return nil, err
	}
	o.dir = dir
	if o.binDir, err = filepath.Abs(o.binDir); err != nil {
		return nil, err
	}
	if o.crdDir == "" {
		if o.crdDir, err = localfleet.FindCRDDir(); err != nil {
			return nil, err
		}
	}
	if o.crdDir, err = filepath.Abs(o.crdDir); err != nil {
		return nil, err
	}
	if _, err := parseMembers(o.members); err != nil {
		return nil, err
	}
	return o, nil
}

// parseMembers reads --members: a count or comma-separated names.
func parseMembers(s string) ([]localfleet.MemberSpec, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return nil, fmt.Errorf("--members %d: the count cannot be negative", n)
		}
		return localfleet.MembersByCount(n), nil
	}
	var names []string
	for name := range strings.SplitSeq(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--members %q names no member", s)
	}
	return localfleet.MembersByName(names), nil
}

// up starts the fleet in a detached supervisor (or, with --foreground, in
// this process) and prints how to use it.
func up(args []string) error {
	o, err := parseOptions("up", args, true)
	if err != nil {
		return err
	}
	if sup, ok := runningSupervisor(o.dir); ok {
		fleet, err := readFleet(o.dir)
		if err != nil {
			return fmt.Errorf("a local fleet is starting in %s (supervisor pid %d); wait for it or run down", o.dir, sup.PID)
		}
		fmt.Fprintf(os.Stderr, "A local fleet already runs in %s (supervisor pid %d).\n", o.dir, sup.PID)
		printUsage(fleet, o.binDir)
		return nil
	}
	if o.foreground {
		return run(o, true)
	}
	return startSupervisor(o)
}

// startSupervisor re-executes this command as a detached supervisor (its own
// session, no terminal) and relays its progress until the fleet is ready.
func startSupervisor(o *options) error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{readyFile, failedFile} {
		if err := os.Remove(filepath.Join(o.dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(o.dir, supervisorLogFile)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	cmd := exec.Command(self, superviseCommand, "--dir", o.dir, "--bin-dir", o.binDir, "--crd-dir", o.crdDir,
		"--members", o.members, "--timeout", o.timeout.String(), "--hub-agents", strconv.Itoa(o.hubAgents))
	for _, a := range o.hubAgentArgs {
		cmd.Args = append(cmd.Args, "--hub-agent-arg="+a)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = o.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the supervisor: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Fprintf(os.Stderr, "Starting a local fleet in %s (supervisor pid %d, log %s)\n", o.dir, cmd.Process.Pid, logPath)

	// Ctrl-C while waiting stops the fleet being started.
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupt)

	tail := &tailer{path: logPath, w: os.Stderr}
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-interrupt:
			fmt.Fprintln(os.Stderr, "Interrupted: stopping the fleet being started")
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			tail.flush()
			return exitCode(130)
		case err := <-exited:
			tail.flush()
			if _, statErr := os.Stat(filepath.Join(o.dir, failedFile)); statErr == nil {
				return exitCode(1) // the supervisor's log, relayed above, says why
			}
			return fmt.Errorf("the supervisor exited (%v); see %s", err, logPath)
		case <-ticker.C:
			tail.flush()
			fleet, err := readFleet(o.dir)
			if err != nil {
				continue
			}
			printUsage(fleet, o.binDir)
			return nil
		}
	}
}

// supervise runs the fleet until SIGTERM or SIGINT; `up` starts it detached.
func supervise(args []string) error {
	o, err := parseOptions(superviseCommand, args, false)
	if err != nil {
		return err
	}
	return run(o, false)
}

// run starts the fleet in this process, records this process as the
// supervisor and the fleet as ready, waits for SIGTERM or SIGINT and stops
// the fleet. In the foreground it also prints how to use the fleet.
func run(o *options, foreground bool) error {
	members, err := parseMembers(o.members)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{readyFile, failedFile} {
		if err := os.Remove(filepath.Join(o.dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	self := localfleet.ProcessInfo{Name: "supervisor", PID: os.Getpid(), Command: os.Args, Log: "(terminal)"}
	if !foreground {
		self.Log = filepath.Join(o.dir, supervisorLogFile)
	}
	if err := writeJSON(filepath.Join(o.dir, supervisorFile), self); err != nil {
		return err
	}
	defer func() { _ = os.Remove(filepath.Join(o.dir, supervisorFile)) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var progress io.Writer = os.Stdout
	if foreground {
		progress = os.Stderr
	}
	fleet, err := localfleet.Start(startCtx, localfleet.Config{
		Dir: o.dir, BinDir: o.binDir, CRDDir: o.crdDir, Members: members, Log: progress,
		HubAgentArgs: o.hubAgentArgs, HubAgentReplicas: o.hubAgents,
	})
	if err != nil {
		_ = os.WriteFile(filepath.Join(o.dir, failedFile), []byte(err.Error()+"\n"), 0o644)
		return err
	}
	if err := writeJSON(filepath.Join(o.dir, readyFile), fleet); err != nil {
		return errors.Join(err, fleet.Stop())
	}
	if foreground {
		printUsage(fleet, o.binDir)
		fmt.Fprintln(os.Stderr, "The fleet runs until Ctrl-C.")
	}

	<-ctx.Done()
	_ = os.Remove(filepath.Join(o.dir, readyFile))
	return fleet.Stop()
}

// down signals the supervisor and waits until it and every fleet process
// have exited; it ends leftovers of a supervisor that was killed.
func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	dir := fs.String("dir", ".localfleet", "State directory of the fleet.")
	timeout := fs.Duration("timeout", 2*time.Minute, "How long to wait for the supervisor to stop the fleet.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if sup, ok := runningSupervisor(abs); ok {
		fmt.Fprintf(os.Stderr, "Stopping the local fleet in %s (supervisor pid %d)\n", abs, sup.PID)
		if err := syscall.Kill(sup.PID, syscall.SIGTERM); err != nil {
			return fmt.Errorf("signalling the supervisor: %w", err)
		}
		deadline := time.Now().Add(*timeout)
		for sup.Alive() {
			if time.Now().After(deadline) {
				return fmt.Errorf("the supervisor (pid %d) still runs after %s; see %s", sup.PID, *timeout, filepath.Join(abs, supervisorLogFile))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	left, err := localfleet.KillLeftovers(abs)
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "Ended processes the supervisor had left: %s\n", strings.Join(left, ", "))
	}
	if err != nil {
		return err
	}
	for _, f := range []string{readyFile, supervisorFile} {
		_ = os.Remove(filepath.Join(abs, f))
	}
	fmt.Fprintf(os.Stderr, "No local fleet process runs in %s.\n", abs)
	return nil
}

// runningSupervisor returns the supervisor recorded in dir if it runs.
func runningSupervisor(dir string) (localfleet.ProcessInfo, bool) {
	var sup localfleet.ProcessInfo
	data, err := os.ReadFile(filepath.Join(dir, supervisorFile))
	if err != nil || json.Unmarshal(data, &sup) != nil {
		return sup, false
	}
	return sup, sup.Alive()
}

// readFleet reads the ready fleet recorded in dir.
func readFleet(dir string) (*localfleet.Fleet, error) {
	data, err := os.ReadFile(filepath.Join(dir, readyFile))
	if err != nil {
		return nil, err
	}
	fleet := &localfleet.Fleet{}
	if err := json.Unmarshal(data, fleet); err != nil {
		return nil, err
	}
	return fleet, nil
}

// printUsage prints, on stdout, the shell lines that point kubectl at the
// hub, with the members' as comments.
func printUsage(f *localfleet.Fleet, binDir string) {
	fmt.Printf("# Local fleet in %s: a hub and %d member cluster(s). kubectl is in %s.\n", f.Dir, len(f.Members),
		localfleet.ToolDir(binDir))
	fmt.Printf("export KUBECONFIG=%s\n", f.HubKubeconfig)
	for _, m := range f.Members {
		fmt.Printf("# export KUBECONFIG=%s   # member %s (%s)\n", m.Kubeconfig, m.Name, labelString(m.Labels))
	}
	fmt.Println("# Stop it with: make local-down (or go run ./hack/localfleet down)")
}

func labelString(labels map[string]string) string {
	if len(labels) == 0 {
		return "no labels"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// tailer copies what a file gains to w.
type tailer struct {
	path   string
	w      io.Writer
	offset int64
}

func (t *tailer) flush() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return
	}
	n, _ := io.Copy(t.w, f)
	t.offset += n
}
