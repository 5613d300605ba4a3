package localfleet

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// testFleet returns a fleet around a spawner in a temporary directory,
// stopped when the test ends.
func testFleet(t *testing.T) *Fleet {
	t.Helper()
	dir := t.TempDir()
	f := &Fleet{Dir: dir, log: newProgress(io.Discard), spawner: &spawner{dir: dir}}
	t.Cleanup(func() { _ = f.Stop() })
	return f
}

// waitForLines waits up to 10 s until the log at path holds line n times,
// and returns the log.
func waitForLines(path, line string, n int) string {
	var log []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if log, _ = os.ReadFile(path); strings.Count(string(log), line) >= n {
			break
		}
	}
	return string(log)
}

func TestKilledAgentIsStartedAgainAndStoppedOneIsNot(t *testing.T) {
	f := testFleet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	restarted := make(chan string, 1)
	f.spawner.onRestart = func(name string, _ *process, err error) {
		if err != nil {
			t.Errorf("restarting %s: %v", name, err)
		}
		restarted <- name
	}
	// The agent says hello on every start, so its log shows each one.
	agent, err := f.spawner.start(command{cluster: "hub", name: "agent", tier: tierAgent, bin: "/bin/sh",
		args: []string{"-c", "echo started; sleep 300"}, restart: true})
	if err != nil {
		t.Fatal(err)
	}
	agent.served.Store(true) // as startListener marks it once ready
	server, err := f.spawner.start(command{cluster: "hub", name: "server", tier: tierAPIServer, bin: "/bin/sh",
		args: []string{"-c", "echo started; sleep 300"}})
	if err != nil {
		t.Fatal(err)
	}

	waitForLines(agent.Log, "started", 1)
	pid, err := f.Kill("agent")
	if err != nil || pid != agent.PID {
		t.Fatalf("Kill(agent) = %d, %v; want %d", pid, err, agent.PID)
	}
	if err := f.WaitReady(ctx, "agent", pid); err != nil {
		t.Fatalf("WaitReady(agent): %v", err)
	}
	if name := <-restarted; name != "agent" {
		t.Errorf("restarted %q, want agent", name)
	}
	again := f.spawner.lookup("agent")
	recorded, err := ReadProcesses(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 2 || recorded[0].PID != again.PID || !recorded[0].Alive() {
		t.Errorf("%s = %+v, want the restarted agent (pid %d) in the killed one's place", ProcessesFile, recorded, again.PID)
	}
	if log := waitForLines(again.Log, "started", 2); strings.Count(log, "started") != 2 {
		t.Errorf("agent log %q, want both starts appended", log)
	}

	if _, err := f.Kill("server"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.KillAndHold("agent"); err != nil {
		t.Fatal(err)
	}
	held, err := f.spawner.start(command{cluster: "hub", name: "stopped-agent", tier: tierAgent, bin: "/bin/sh",
		args: []string{"-c", "sleep 300"}, restart: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.StopProcess(held.Name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * restartDelay)
	for _, name := range []string{"agent", "stopped-agent", "server"} {
		if done, _ := f.spawner.lookup(name).exited(); !done {
			t.Errorf("%s runs again by itself, want it down until StartProcess", name)
		}
	}
	if err := f.StartProcess(ctx, "server"); err != nil {
		t.Fatalf("StartProcess(server): %v", err)
	}
	if p := f.spawner.lookup("server"); p.PID == server.PID || !p.Alive() {
		t.Errorf("server pid %d alive=%v after StartProcess, want a new live process", p.PID, p.Alive())
	}
	if err := f.StartProcess(ctx, "server"); err == nil || !strings.Contains(err.Error(), "still runs") {
		t.Errorf("StartProcess of a running process = %v, want it refused", err)
	}
	if _, err := f.Kill("nope"); err == nil || !strings.Contains(err.Error(), "no process nope") {
		t.Errorf("Kill(nope) = %v, want an unknown process error", err)
	}
}

func TestNothingRestartsOnceTheFleetStops(t *testing.T) {
	f := testFleet(t)
	f.spawner.onRestart = func(name string, _ *process, err error) {
		if err == nil {
			t.Errorf("%s was started again after Stop", name)
		}
	}
	p, err := f.spawner.start(command{cluster: "m", name: "m-agent", tier: tierAgent, bin: "/bin/sh",
		args: []string{"-c", "sleep 300"}, restart: true})
	if err != nil {
		t.Fatal(err)
	}
	p.served.Store(true)
	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * restartDelay)
	if p := f.spawner.lookup("m-agent"); p.Alive() {
		t.Errorf("m-agent (pid %d) runs after Stop", p.PID)
	}
}

func TestAnAgentFailingItsStartIsNotRestarted(t *testing.T) {
	f := testFleet(t)
	f.spawner.onRestart = func(name string, _ *process, _ error) { t.Errorf("%s was restarted", name) }
	p, err := f.spawner.start(command{cluster: "m", name: "m-agent", tier: tierAgent, bin: "/bin/sh",
		args: []string{"-c", "echo bad flag >&2; exit 2"}, restart: true})
	if err != nil {
		t.Fatal(err)
	}
	<-p.done
	time.Sleep(2 * restartDelay)
	if got := f.spawner.lookup("m-agent"); got != p {
		t.Errorf("m-agent was replaced by pid %d", got.PID)
	}
}

func TestLeads(t *testing.T) {
	cases := map[string]struct {
		metrics string
		want    bool
	}{
		"the leader": {
			metrics: "# TYPE leader_election_master_status gauge\nleader_election_master_status{name=\"flotilla-hub-agent\"} 1\n",
			want:    true,
		},
		"a standby that led before": {
			metrics: "leader_election_master_status{name=\"flotilla-hub-agent\"} 0\n",
		},
		"a replica that never ran an election": {
			metrics: "workqueue_depth{name=\"x\"} 1\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := leads(tc.metrics); got != tc.want {
				t.Errorf("leads() = %v, want %v", got, tc.want)
			}
		})
	}
}
