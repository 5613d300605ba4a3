package localfleet

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sleepBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	return p
}

func TestSpawnerStopsInTiersAndForgetsTheFleet(t *testing.T) {
	sleep := sleepBinary(t)
	dir := t.TempDir()
	s := &spawner{dir: dir}
	etcd, err := s.spawn("hub", "hub-etcd", tierEtcd, sleep, []string{"300"})
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}
	agent, err := s.spawn("hub", "hubagent", tierAgent, sleep, []string{"300"}, "FOO=bar")
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}

	recorded, err := ReadProcesses(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []ProcessInfo{etcd.ProcessInfo, agent.ProcessInfo}
	if diff := cmp.Diff(want, recorded); diff != "" {
		t.Errorf("%s (-want,+got):\n%s", ProcessesFile, diff)
	}
	for _, p := range recorded {
		if !p.Alive() {
			t.Errorf("%s (pid %d) is not alive after spawn", p.Name, p.PID)
		}
		if p.Log != filepath.Join(dir, "logs", p.Name+".log") {
			t.Errorf("%s logs to %q, want logs/<name>.log", p.Name, p.Log)
		}
	}

	if err := s.stopAll(); err != nil {
		t.Fatalf("stopAll: %v", err)
	}
	for _, p := range recorded {
		if p.Alive() {
			t.Errorf("%s (pid %d) still runs after stopAll", p.Name, p.PID)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ProcessesFile)); !os.IsNotExist(err) {
		t.Errorf("%s still exists after every process exited (stat: %v)", ProcessesFile, err)
	}
	if _, err := s.spawn("hub", "late", tierAgent, sleep, []string{"300"}); err == nil {
		t.Error("spawn after stopAll succeeded, want it refused")
	}
}

func TestProcessExitIsReported(t *testing.T) {
	s := &spawner{dir: t.TempDir()}
	p, err := s.spawn("m", "m-false", tierAgent, "/bin/sh", []string{"-c", "echo broken flag >&2; exit 3"})
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}
	<-p.done
	err = p.exitError()
	if err == nil || !cmp.Equal(err.Error(), "m-false exited (exit status 3); see "+p.Log) {
		t.Errorf("exitError() = %v, want the exit status and the log", err)
	}
	log, _ := os.ReadFile(p.Log)
	if string(log) != "broken flag\n" {
		t.Errorf("log = %q, want the process's stderr", log)
	}
}

func TestKillLeftovers(t *testing.T) {
	sleep := sleepBinary(t)
	dir := t.TempDir()
	// A process the fleet recorded but whose supervisor is gone.
	cmd := exec.Command(sleep, "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s := &spawner{dir: dir, procs: []*process{{ProcessInfo: ProcessInfo{Name: "member1-kwok", PID: cmd.Process.Pid, Command: cmd.Args}}}}
	s.mu.Lock()
	if err := s.recordLocked(); err != nil {
		t.Fatal(err)
	}
	s.mu.Unlock()

	names, err := KillLeftovers(dir)
	if err != nil {
		t.Fatalf("KillLeftovers: %v", err)
	}
	if diff := cmp.Diff([]string{"member1-kwok"}, names); diff != "" {
		t.Errorf("ended processes (-want,+got):\n%s", diff)
	}
	<-exited
	if _, err := os.Stat(filepath.Join(dir, ProcessesFile)); !os.IsNotExist(err) {
		t.Errorf("%s still exists (stat: %v)", ProcessesFile, err)
	}

	names, err = KillLeftovers(dir)
	if err != nil || len(names) != 0 {
		t.Errorf("KillLeftovers without a fleet = %v, %v; want nothing to do", names, err)
	}
}

func TestAliveIgnoresAReusedPID(t *testing.T) {
	self := ProcessInfo{Name: "me", PID: os.Getpid(), Command: []string{"/not/the/test/binary"}}
	if self.Alive() {
		t.Error("a live pid running another binary counts as alive")
	}
}

func TestStartListenerRetriesWhenAPortWasTaken(t *testing.T) {
	cases := map[string]struct {
		script       string
		wantAttempts int
		wantErr      string
	}{
		"a process that lost its port starts again on other ports": {
			script:       `if [ -f marker ]; then touch ready; exec sleep 300; fi; touch marker; echo "bind: address already in use" >&2; exit 1`,
			wantAttempts: 2,
		},
		"a process that fails for another reason is not retried": {
			script:       `echo "unknown flag: --nope" >&2; exit 1`,
			wantAttempts: 1,
			wantErr:      "m-server exited (exit status 1)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			f := &Fleet{Dir: dir, log: newProgress(io.Discard), spawner: &spawner{dir: dir}}
			t.Cleanup(func() { _ = f.spawner.stopAll() })
			var given [][]int
			p, _, err := f.startListener(context.Background(), listener{
				cluster: "m", name: "m-server", tier: tierAgent, bin: "/bin/sh", ports: 2,
				args: func(ports []int) []string {
					given = append(given, ports)
					return []string{"-c", tc.script}
				},
				ready: func([]int) (func(context.Context) error, error) {
					return func(context.Context) error {
						_, err := os.Stat(filepath.Join(dir, "ready"))
						return err
					}, nil
				},
			})
			if len(given) != tc.wantAttempts {
				t.Errorf("started %d times, want %d", len(given), tc.wantAttempts)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("startListener error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("startListener: %v", err)
			}
			if len(given) == 2 && (given[1][0] == given[0][0] || given[1][1] == given[0][1]) {
				t.Errorf("ports %v then %v, want new ones on the second start", given[0], given[1])
			}
			recorded, err := ReadProcesses(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]ProcessInfo{p.ProcessInfo}, recorded); diff != "" {
				t.Errorf("%s lists the failed start (-want,+got):\n%s", ProcessesFile, diff)
			}
		})
	}
}
