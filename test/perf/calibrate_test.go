package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestParseWriters(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    []int
		wantErr string
	}{
		"one count":                          {in: "4", want: []int{4}},
		"several counts, spaces and a comma": {in: "4, 16,", want: []int{4, 16}},
		"zero is refused":                    {in: "4,0", wantErr: "positive"},
		"a negative count is refused":        {in: "-1", wantErr: "positive"},
		"letters are refused":                {in: "four", wantErr: "positive"},
		"nothing is refused":                 {in: " , ", wantErr: "no writer counts"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseWriters(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseWriters(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseWriters(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseWriters(%q) (-want,+got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestBestRound(t *testing.T) {
	round := func(writers int, first, update float64) CalibrationRound {
		return CalibrationRound{Writers: writers, CalibrationRollout: CalibrationRollout{BindingSpec: 2 * first, WritesPerSecond: first},
			Update: CalibrationRollout{WritesPerSecond: update}}
	}
	firstRate := func(r CalibrationRound) float64 { return r.WritesPerSecond }
	updateRate := func(r CalibrationRound) float64 { return r.Update.WritesPerSecond }
	tests := map[string]struct {
		rounds []CalibrationRound
		rate   func(CalibrationRound) float64
		want   CalibrationRound
	}{
		"no rounds give the zero round": {rate: firstRate},
		"the highest overall rate wins, not the highest step": {
			rounds: []CalibrationRound{
				{Writers: 4, CalibrationRollout: CalibrationRollout{BindingSpec: 900, WritesPerSecond: 400}},
				{Writers: 16, CalibrationRollout: CalibrationRollout{BindingSpec: 600, WritesPerSecond: 500}},
				{Writers: 32, CalibrationRollout: CalibrationRollout{BindingSpec: 700, WritesPerSecond: 450}},
			},
			rate: firstRate,
			want: CalibrationRound{Writers: 16, CalibrationRollout: CalibrationRollout{BindingSpec: 600, WritesPerSecond: 500}},
		},
		"the first of equal rounds wins": {
			rounds: []CalibrationRound{round(4, 500, 0), round(16, 500, 0)},
			rate:   firstRate,
			want:   round(4, 500, 0),
		},
		"the update's best round is its own": {
			rounds: []CalibrationRound{round(4, 400, 380), round(16, 500, 350)},
			rate:   updateRate,
			want:   round(4, 400, 380),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, bestRound(tc.rounds, tc.rate)); diff != "" {
				t.Errorf("bestRound (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestCalibrationObjectsAreTheScenarios(t *testing.T) {
	b := calibrationBinding(3, 7)
	if len(b.Name) > 63 || !strings.HasPrefix(b.Name, calibrationPlacement+"-"+memberName(7)+"-") {
		t.Errorf("binding name %q is not <placement>-<cluster>-<suffix> within 63 characters", b.Name)
	}
	if b.Labels[placementv1beta1.PlacementTrackingLabel] != calibrationPlacement || len(b.Finalizers) != 0 {
		t.Errorf("binding %s: labels %v, finalizers %v; want the calibration placement's label and no finalizer", b.Name, b.Labels, b.Finalizers)
	}
	if other := calibrationBinding(4, 7); other.Name == b.Name {
		t.Errorf("rounds 3 and 4 share the binding name %q", b.Name)
	}

	manifests, err := sampleManifests(configValue("initial"))
	if err != nil {
		t.Fatal(err)
	}
	w := calibrationWork(3, 7, b.Name, manifests)
	if other := calibrationWork(4, 7, b.Name, manifests); other.Name == w.Name {
		t.Errorf("rounds 3 and 4 share the Work name %q", w.Name)
	}
	wantLabels := map[string]string{
		placementv1beta1.ParentBindingLabel:               b.Name,
		placementv1beta1.PlacementTrackingLabel:           calibrationPlacement,
		placementv1beta1.ParentResourceSnapshotIndexLabel: "0",
	}
	if diff := cmp.Diff(wantLabels, w.Labels); diff != "" {
		t.Errorf("Work labels (-want,+got):\n%s", diff)
	}
}

func TestSetRolloutDone(t *testing.T) {
	b := calibrationBinding(1, 0)
	b.Generation = 2
	// A stale condition from the previous generation is brought up to date.
	meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
		Type: string(placementv1beta1.ResourceBindingApplied), Status: metav1.ConditionFalse,
		Reason: placementv1beta1.BindingApplyInProgressReason, ObservedGeneration: 1,
	})
	setRolloutDone(b, 2)
	want := map[string]string{
		string(placementv1beta1.ResourceBindingRolloutStarted):   placementv1beta1.BindingRolloutStartedReason,
		string(placementv1beta1.ResourceBindingOverridden):       placementv1beta1.BindingOverrideNotSpecifiedReason,
		string(placementv1beta1.ResourceBindingWorkSynchronized): placementv1beta1.BindingAllWorkSyncedReason,
		string(placementv1beta1.ResourceBindingApplied):          placementv1beta1.BindingAllWorkAppliedReason,
		string(placementv1beta1.ResourceBindingAvailable):        placementv1beta1.BindingAllWorkAvailableReason,
	}
	got := map[string]string{}
	for _, c := range b.Status.Conditions {
		if c.Status != metav1.ConditionTrue || c.ObservedGeneration != b.Generation || c.Message == "" {
			t.Errorf("condition %s = %s at generation %d with message %q, want True at %d with a message", c.Type, c.Status, c.ObservedGeneration, c.Message, b.Generation)
		}
		got[c.Type] = c.Reason
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("condition reasons (-want,+got):\n%s", diff)
	}
	// RolloutStarted names the index and the run, as the work generator's does.
	started := meta.FindStatusCondition(b.Status.Conditions, string(placementv1beta1.ResourceBindingRolloutStarted))
	if want := fmt.Sprintf(rolloutStartedMessage, "2", runName(calibrationPlacement, 3)); started == nil || started.Message != want {
		t.Errorf("RolloutStarted = %+v, want message %q", started, want)
	}
}

func TestCalibrationAddPicksTheFastestOfBothCalibrations(t *testing.T) {
	var cal Calibration
	cal.add(
		CalibrationRound{When: "before", Writers: 4, CalibrationRollout: CalibrationRollout{WritesPerSecond: 350}, Update: CalibrationRollout{WritesPerSecond: 300}},
		CalibrationRound{When: "before", Writers: 16, CalibrationRollout: CalibrationRollout{WritesPerSecond: 400}, Update: CalibrationRollout{WritesPerSecond: 250}},
	)
	if cal.WritesPerSecond != 400 || cal.Writers != 16 || cal.UpdateWritesPerSecond != 300 || cal.UpdateWriters != 4 {
		t.Errorf("after the first calibration: %+v, want 400 writes/s with 16 writers and 300 with 4 for an update", cal)
	}
	cal.add(
		CalibrationRound{When: "after", Writers: 4, CalibrationRollout: CalibrationRollout{WritesPerSecond: 380}, Update: CalibrationRollout{WritesPerSecond: 320}},
		CalibrationRound{When: "after", Writers: 16, CalibrationRollout: CalibrationRollout{WritesPerSecond: 390}, Update: CalibrationRollout{WritesPerSecond: 310}},
	)
	if cal.WritesPerSecond != 400 || cal.Writers != 16 || cal.UpdateWritesPerSecond != 320 || cal.UpdateWriters != 4 || len(cal.Rounds) != 4 {
		t.Errorf("after both calibrations: %+v, want 400 writes/s with 16 writers, 320 with 4 for an update, and 4 rounds", cal)
	}
}

func TestApplyBoundsUsesEachPhasesRate(t *testing.T) {
	r := SizeResult{
		Calibration: Calibration{WritesPerSecond: 500, UpdateWritesPerSecond: 400},
		Phases: []PhaseResult{
			{Name: "initial", MinWrites: 1000, Latency: Latency{P90: 4}, WallSeconds: 5},
			{Name: "update", Update: true, MinWrites: 1000, Latency: Latency{P90: 5}, WallSeconds: 6},
		},
	}
	r.applyBounds()
	for i, want := range []struct{ bound, p90, wall float64 }{{2, 2, 2.5}, {2.5, 2, 2.4}} {
		p := r.Phases[i]
		if p.BoundSeconds != want.bound || p.P90OverBound != want.p90 || p.WallOverBound != want.wall {
			t.Errorf("phase %s: bound %v, p90/bound %v, wall/bound %v; want %v, %v, %v", p.Name, p.BoundSeconds, p.P90OverBound, p.WallOverBound, want.bound, want.p90, want.wall)
		}
	}

	// Without a calibration there is no bound.
	r = SizeResult{Phases: []PhaseResult{{Name: "initial", MinWrites: 1000}}}
	r.applyBounds()
	if r.Phases[0].BoundSeconds != 0 {
		t.Errorf("bound without a calibration = %v, want 0", r.Phases[0].BoundSeconds)
	}
}
