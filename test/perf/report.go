package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The fewest hub writes a staged rollout can make; the bound of a phase is
// these writes at the calibrated write rate.
const (
	// minWritesPerClusterUpdate: moving one cluster of one placement to a new
	// resource snapshot takes at least (1) the run's update of the binding's
	// spec (snapshot name, state Bound), (2) the work generator's create or
	// update of the cluster's Work, (3) the member agent's Work status write
	// once applied, and (4) the work generator's binding status write that
	// reports the Work applied and available, which the run waits for. The
	// calibration times these very four writes, on objects of the scenario's
	// shape and size (see calibrationRound), so the bound is the time the API
	// server alone needs for them.
	minWritesPerClusterUpdate = 4
	// minWritesPerRunPerStage: a run writes its status at least when a stage
	// starts its clusters and when the stage is done.
	minWritesPerRunPerStage = 2
	// minWritesPerRunFixed: the run's creation, and its Initialized status.
	minWritesPerRunFixed = 2
	// strategyStages is the number of stages of the perf strategy.
	strategyStages = 3
)

// minWrites is the fewest writes n runs of m clusters each can make.
func minWrites(n, m int) int {
	return n*m*minWritesPerClusterUpdate + n*(minWritesPerRunFixed+strategyStages*minWritesPerRunPerStage)
}

// Latency summarises run latencies, in seconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// PhaseResult is what one phase measured.
type PhaseResult struct {
	Name      string   `json:"name"`
	Runs      int      `json:"runs"`
	Succeeded int      `json:"succeeded"`
	Failed    []string `json:"failed,omitempty"`
	// Unfinished lists the runs that did not finish, with their conditions.
	Unfinished []string `json:"unfinished,omitempty"`
	// PrepSeconds is how long the placements took to reach the phase's
	// resource snapshot, before the runs were created.
	PrepSeconds float64 `json:"prepSeconds"`
	// WallSeconds runs from the first run's creation to the last one's
	// Succeeded condition.
	WallSeconds float64 `json:"wallSeconds"`
	// SettleSeconds runs from the last run's Succeeded condition to every
	// placement's status showing the phase's resource index available on
	// all clusters. The phase's writes are counted until then, so that the
	// placement status writes the rollout causes all count.
	SettleSeconds float64 `json:"settleSeconds"`
	// Latency is per run, from the create call to the informer seeing
	// Succeeded; TransitionLatency ends at the condition's
	// lastTransitionTime instead (one-second resolution).
	Latency           Latency `json:"latency"`
	TransitionLatency Latency `json:"transitionLatency"`

	ClusterUpdates int `json:"clusterUpdates"`
	// APIRequests counts requests the hub API server served, by
	// "VERB resource[/subresource]".
	APIRequests map[string]float64 `json:"apiRequests"`
	// APIServerSeconds is the time the API server spent serving requests
	// (the sum of its request latency histogram, watches excluded), by
	// "VERB resource[/subresource]".
	APIServerSeconds       map[string]float64 `json:"apiServerSeconds"`
	Writes                 float64            `json:"writes"`
	WritesPerClusterUpdate float64            `json:"writesPerClusterUpdate"`
	WritesByResource       map[string]float64 `json:"writesByResource"`
	// WritesByWriter splits writes: hub-agent (its client-go request
	// counter), member-sim (heartbeats and Work status), driver (the
	// scenario's own creates), other (the API server itself and anything
	// else).
	WritesByWriter      map[string]float64 `json:"writesByWriter"`
	Conflicts           float64            `json:"conflicts409"`
	ConflictsByResource map[string]float64 `json:"conflictsByResource,omitempty"`
	SimulatedFailures   int64              `json:"simulatedFailures"`

	HubAgentCPUSeconds  float64 `json:"hubAgentCPUSeconds"`
	HubAgentPeakRSSMiB  float64 `json:"hubAgentPeakRSSMiB"`
	APIServerCPUSeconds float64 `json:"apiServerCPUSeconds"`
	EtcdCPUSeconds      float64 `json:"etcdCPUSeconds"`
	// HarnessCPUSeconds is this process's CPU: the simulated members and the
	// informers, which share the machine with the hub.
	HarnessCPUSeconds float64 `json:"harnessCPUSeconds"`
	// Reconciles counts the hub agent's reconciles by "controller/result";
	// ReconcileErrors its errors by controller.
	Reconciles      map[string]float64 `json:"reconciles"`
	ReconcileErrors map[string]float64 `json:"reconcileErrors,omitempty"`

	// Update is set for a phase whose bindings and Works carry a previous
	// rollout's status; its bound uses the calibrated update rate.
	Update        bool    `json:"update"`
	MinWrites     int     `json:"minWrites"`
	BoundSeconds  float64 `json:"boundSeconds"`
	P90OverBound  float64 `json:"p90OverBound"`
	WallOverBound float64 `json:"wallOverBound"`
}

// SizeResult is what one fleet size measured.
type SizeResult struct {
	Placements  int           `json:"placements"`
	Clusters    int           `json:"clusters"`
	Calibration Calibration   `json:"calibration"`
	JoinSeconds float64       `json:"joinSeconds"`
	SetupSecs   float64       `json:"placementsReadySeconds"`
	Setup       SetupCosts    `json:"setup"`
	Phases      []PhaseResult `json:"phases"`
	// Problems are what went wrong: errors, runs that did not finish, a hub
	// agent that exited.
	Problems []string `json:"problems,omitempty"`
	// HubAgentLog is the hub agent's log file.
	HubAgentLog string `json:"hubAgentLog"`
}

// SetupCosts is what creating the placements and scheduling them cost,
// until every placement had bindings for every cluster.
type SetupCosts struct {
	WritesByResource    map[string]float64 `json:"writesByResource"`
	Conflicts           float64            `json:"conflicts"`
	HubAgentCPUSeconds  float64            `json:"hubAgentCPUSeconds"`
	APIServerCPUSeconds float64            `json:"apiServerCPUSeconds"`
}

// applyBounds sets each phase's bound from the calibration: its fewest
// writes at the calibrated rate of its kind of rollout.
func (r *SizeResult) applyBounds() {
	for i := range r.Phases {
		p := &r.Phases[i]
		rate := r.Calibration.WritesPerSecond
		if p.Update {
			rate = r.Calibration.UpdateWritesPerSecond
		}
		if rate <= 0 {
			continue
		}
		p.BoundSeconds = float64(p.MinWrites) / rate
		p.P90OverBound = p.Latency.P90 / p.BoundSeconds
		p.WallOverBound = p.WallSeconds / p.BoundSeconds
	}
}

// Results is the JSON document --out receives.
type Results struct {
	Started      time.Time    `json:"started"`
	HubAgentArgs []string     `json:"hubAgentArgs,omitempty"`
	HubAgentEnv  []string     `json:"hubAgentEnv,omitempty"`
	ApplyDelay   string       `json:"applyDelay"`
	FailureRate  float64      `json:"failureRate"`
	Sizes        []SizeResult `json:"sizes"`
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// values; 0 for none.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summarise returns the latency percentiles of values.
func summarise(values []float64) Latency {
	return Latency{P50: percentile(values, 50), P90: percentile(values, 90), P99: percentile(values, 99), Max: percentile(values, 100)}
}

// parseSizes parses "10x10,50x20" into (placements, clusters) pairs.
func parseSizes(s string) ([][2]int, error) {
	var out [][2]int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		ns, ms, ok := strings.Cut(part, "x")
		n, errN := strconv.Atoi(ns)
		m, errM := strconv.Atoi(ms)
		if !ok || errN != nil || errM != nil {
			return nil, fmt.Errorf("size %q: want NxM, e.g. 10x10", part)
		}
		if n < 1 {
			return nil, fmt.Errorf("size %q: at least 1 placement", part)
		}
		if m < 3 {
			return nil, fmt.Errorf("size %q: at least 3 clusters (one per stage)", part)
		}
		out = append(out, [2]int{n, m})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no sizes in %q", s)
	}
	return out, nil
}

// topN returns the n largest entries of m as "key count" lines.
func topN(m map[string]float64, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var out []string
	for _, k := range keys[:min(n, len(keys))] {
		if v := m[k]; v == math.Trunc(v) {
			out = append(out, fmt.Sprintf("%s %.0f", k, v))
		} else {
			out = append(out, fmt.Sprintf("%s %.1f", k, v))
		}
	}
	return out
}

// filter returns the entries of m whose key keep accepts.
func filter(m map[string]float64, keep func(string) bool) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}

// isReadKey selects "VERB resource" keys of reads (GET, LIST).
func isReadKey(k string) bool {
	return strings.HasPrefix(k, "GET/") || strings.HasPrefix(k, "LIST/")
}

// printSize writes the human-readable report of one size.
func printSize(w io.Writer, r SizeResult) {
	fmt.Fprintf(w, "\n=== %d placements x %d clusters ===\n", r.Placements, r.Clusters)
	c := r.Calibration
	writers := make([]string, len(c.Rounds))
	for i, round := range c.Rounds {
		writers[i] = strconv.Itoa(round.Writers)
	}
	fmt.Fprintf(w, "calibration (%d objects; best of %s writers: first rollout %.0f writes/s with %d, update %.0f writes/s with %d):\n",
		c.Objects, strings.Join(writers, ", "), c.WritesPerSecond, c.Writers, c.UpdateWritesPerSecond, c.UpdateWriters)
	for _, round := range c.Rounds {
		for _, r := range []struct {
			name string
			CalibrationRollout
		}{{"first rollout", round.CalibrationRollout}, {"update", round.Update}} {
			fmt.Fprintf(w, "  %s, %d writers, %s: binding spec %.0f/s, Work update %.0f/s, Work status %.0f/s, binding status %.0f/s; all %.0f/s\n",
				round.When, round.Writers, r.name, r.BindingSpec, r.WorkUpdate, r.WorkStatus, r.BindingStatus, r.WritesPerSecond)
		}
	}
	fmt.Fprintf(w, "setup: members joined in %.1fs, placements scheduled at snapshot 0 in %.1fs (hub agent CPU %.1fs, API server CPU %.1fs, %.0f 409s)\n",
		r.JoinSeconds, r.SetupSecs, r.Setup.HubAgentCPUSeconds, r.Setup.APIServerCPUSeconds, r.Setup.Conflicts)
	fmt.Fprintf(w, "[setup] writes by resource: %s\n\n", strings.Join(topN(r.Setup.WritesByResource, 8), ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\truns ok\tprep s\twall s\tsettle s\tp50 s\tp90 s\tp99 s\tmax s\twrites\twrites/upd\tagent w/upd\t409s\tagent CPU s\tagent RSS MiB\tapiserver CPU s\tetcd CPU s\tharness CPU s\tbound s\tp90/bound\twall/bound\t")
	for _, p := range r.Phases {
		agentPerUpdate := 0.0
		if p.ClusterUpdates > 0 {
			agentPerUpdate = p.WritesByWriter["hub-agent"] / float64(p.ClusterUpdates)
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f\t%.0f\t%.1f\t%.1f\t%.1f\t%.2f\t%.1f\t%.1f\t\n",
			p.Name, p.Succeeded, p.Runs, p.PrepSeconds, p.WallSeconds, p.SettleSeconds, p.Latency.P50, p.Latency.P90, p.Latency.P99, p.Latency.Max,
			p.Writes, p.WritesPerClusterUpdate, agentPerUpdate, p.Conflicts, p.HubAgentCPUSeconds, p.HubAgentPeakRSSMiB,
			p.APIServerCPUSeconds, p.EtcdCPUSeconds, p.HarnessCPUSeconds, p.BoundSeconds, p.P90OverBound, p.WallOverBound)
	}
	_ = tw.Flush()
	for _, p := range r.Phases {
		fmt.Fprintf(w, "\n[%s] writes by writer: %s\n", p.Name, strings.Join(topN(p.WritesByWriter, 10), ", "))
		fmt.Fprintf(w, "[%s] writes by resource: %s\n", p.Name, strings.Join(topN(p.WritesByResource, 12), ", "))
		fmt.Fprintf(w, "[%s] API server request latency sum (s): %s\n", p.Name, strings.Join(topN(p.APIServerSeconds, 10), ", "))
		fmt.Fprintf(w, "[%s] reads: %s\n", p.Name, strings.Join(topN(filter(p.APIRequests, isReadKey), 8), ", "))
		if len(p.ConflictsByResource) > 0 {
			fmt.Fprintf(w, "[%s] 409 conflicts by resource: %s\n", p.Name, strings.Join(topN(p.ConflictsByResource, 10), ", "))
		}
		fmt.Fprintf(w, "[%s] reconciles: %s\n", p.Name, strings.Join(topN(p.Reconciles, 20), ", "))
		if len(p.ReconcileErrors) > 0 {
			fmt.Fprintf(w, "[%s] reconcile errors: %s\n", p.Name, strings.Join(topN(p.ReconcileErrors, 10), ", "))
		}
		if p.SimulatedFailures > 0 {
			fmt.Fprintf(w, "[%s] simulated apply failures: %d\n", p.Name, p.SimulatedFailures)
		}
		for _, f := range p.Failed {
			fmt.Fprintf(w, "[%s] FAILED run %s\n", p.Name, f)
		}
		for _, u := range p.Unfinished {
			fmt.Fprintf(w, "[%s] UNFINISHED run %s\n", p.Name, u)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
	fmt.Fprintf(w, "hub agent log: %s\n", r.HubAgentLog)
}

// writeJSON writes results to path, creating its directory.
func writeJSON(path string, results Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
