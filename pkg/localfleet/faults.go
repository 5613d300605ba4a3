package localfleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
)

// This file injects faults: reliability tests kill, stop and start the
// fleet's processes by name (ProcessInfo.Name, e.g. hubagent, hub-apiserver,
// member1-agent).

// leaderMetric is the gauge controller-runtime sets to 1 in the replica that
// holds the leader election Lease.
const leaderMetric = "leader_election_master_status"

// Kill kills the named process with SIGKILL, as a crash would, and returns
// the pid it killed once the process has exited. The fleet starts agents
// again a second later (see WaitReady); other processes stay down until
// StartProcess.
func (f *Fleet) Kill(name string) (int, error) {
	p, err := f.running(name)
	if err != nil {
		return 0, err
	}
	return p.PID, p.kill()
}

// KillAndHold kills the named process with SIGKILL, as a crash would, and
// keeps it down, agents included, until StartProcess: a node that died with
// its pods. It returns the pid it killed once the process has exited.
func (f *Fleet) KillAndHold(name string) (int, error) {
	p, err := f.running(name)
	if err != nil {
		return 0, err
	}
	p.stopping.Store(true)
	return p.PID, p.kill()
}

// StopProcess stops the named process with SIGTERM (SIGKILL after 20 s) and
// returns once it has exited. The fleet does not start it again until
// StartProcess.
func (f *Fleet) StopProcess(name string) error {
	p, err := f.running(name)
	if err != nil {
		return err
	}
	return p.stop()
}

// StartProcess starts a process that was stopped or killed again, with the
// same arguments and ports, its output appended to its log, and waits until
// it is ready.
func (f *Fleet) StartProcess(ctx context.Context, name string) error {
	if f.spawner == nil {
		return errors.New("the fleet is not running")
	}
	p := f.spawner.lookup(name)
	if p == nil {
		return fmt.Errorf("the fleet has no process %s", name)
	}
	np, err := f.spawner.restart(p)
	if err != nil {
		return err
	}
	if np.ready != nil {
		if err := waitFor(ctx, name, np, np.ready); err != nil {
			return err
		}
	}
	np.served.Store(true)
	return nil
}

// WaitReady waits until the named process runs with another pid than
// oldPID (0: any) and is ready, e.g. an agent the fleet started again after
// Kill.
func (f *Fleet) WaitReady(ctx context.Context, name string, oldPID int) error {
	if f.spawner == nil {
		return errors.New("the fleet is not running")
	}
	return waitFor(ctx, name+" to run again", nil, func(ctx context.Context) error {
		p := f.spawner.lookup(name)
		if p == nil {
			return fmt.Errorf("the fleet has no process %s", name)
		}
		if p.PID == oldPID {
			return fmt.Errorf("%s (pid %d) has not been started again", name, oldPID)
		}
		if done, _ := p.exited(); done {
			return p.exitError()
		}
		if p.ready == nil {
			return nil
		}
		return p.ready(ctx)
	})
}

// CrashHubAgent kills the (first) hub agent with SIGKILL, as a crash would,
// and waits until the fleet has started it again and it is ready.
func (f *Fleet) CrashHubAgent(ctx context.Context) error {
	pid, err := f.Kill(hubAgentName)
	if err != nil {
		return err
	}
	return f.WaitReady(ctx, hubAgentName, pid)
}

// HubAgentLeader returns the name of the hub agent replica that holds the
// leader election Lease, as its metrics say; "" when none does (e.g. while a
// standby waits for the Lease of a killed leader to expire).
func (f *Fleet) HubAgentLeader(ctx context.Context) (string, error) {
	if f.spawner == nil {
		return "", errors.New("the fleet is not running")
	}
	for _, name := range f.HubAgents() {
		p := f.spawner.lookup(name)
		if p == nil {
			return "", fmt.Errorf("the fleet has no process %s", name)
		}
		if done, _ := p.exited(); done || len(p.ports) == 0 {
			continue
		}
		metrics, err := get(ctx, fmt.Sprintf("http://%s/metrics", loopback(p.ports[0])))
		if err != nil {
			continue // it may be starting or dying; only a leader counts
		}
		if leads(metrics) {
			return name, nil
		}
	}
	return "", nil
}

// leads reports whether Prometheus text exposition says its process leads.
func leads(metrics string) bool {
	sc := bufio.NewScanner(strings.NewReader(metrics))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, leaderMetric+"{") && strings.HasSuffix(line, "} 1") {
			return true
		}
	}
	return false
}

// running returns the named process, which must be running.
func (f *Fleet) running(name string) (*process, error) {
	if f.spawner == nil {
		return nil, errors.New("the fleet is not running")
	}
	p := f.spawner.lookup(name)
	if p == nil {
		return nil, fmt.Errorf("the fleet has no process %s", name)
	}
	if done, _ := p.exited(); done {
		return nil, fmt.Errorf("%s is not running", name)
	}
	return p, nil
}
