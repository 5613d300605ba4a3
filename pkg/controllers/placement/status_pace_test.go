package placement

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/util/ownwrites"
)

// paceStatus is a placement status mid-rollout: its RolloutStarted
// condition counts the clusters still to start, cluster a is on the new
// index and cluster b is not started yet.
func paceStatus() *placementv1beta1.PlacementStatus {
	return &placementv1beta1.PlacementStatus{
		ObservedResourceIndex: "1",
		SelectedResources:     []placementv1beta1.ResourceIdentifier{{Version: "v1", Kind: "Namespace", Name: "app"}},
		Conditions: []metav1.Condition{{
			Type: string(placementv1beta1.ClusterResourcePlacementRolloutStarted), Status: metav1.ConditionUnknown,
			Reason: "RolloutStartedUnknown", Message: "There are still 1 cluster(s) in the process", ObservedGeneration: 1,
		}},
		PerClusterPlacementStatuses: []placementv1beta1.PerClusterPlacementStatus{
			{ClusterName: "a", ObservedResourceIndex: "1", Conditions: []metav1.Condition{
				{Type: "RolloutStarted", Status: metav1.ConditionTrue, Reason: "RolloutStarted"},
				{Type: "Available", Status: metav1.ConditionTrue, Reason: "AllWorkAreAvailable"},
			}},
			{ClusterName: "b", ObservedResourceIndex: "0", Conditions: []metav1.Condition{
				{Type: "RolloutStarted", Status: metav1.ConditionUnknown, Reason: "RolloutStartedUnknown"},
			}},
		},
	}
}

func TestProgressOnly(t *testing.T) {
	tests := []struct {
		name   string
		change func(*placementv1beta1.PlacementStatus)
		want   bool
	}{
		{
			name: "a cluster starts and becomes available",
			change: func(s *placementv1beta1.PlacementStatus) {
				b := &s.PerClusterPlacementStatuses[1]
				b.ObservedResourceIndex = "1"
				b.Conditions = s.PerClusterPlacementStatuses[0].Conditions
				s.Conditions[0].Message = "There are still 0 cluster(s) in the process"
			},
			want: true,
		},
		{
			name: "a cluster condition turns False",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.PerClusterPlacementStatuses[0].Conditions[1].Status = metav1.ConditionFalse
			},
			want: false,
		},
		{
			name:   "a placement condition changes status",
			change: func(s *placementv1beta1.PlacementStatus) { s.Conditions[0].Status = metav1.ConditionTrue },
			want:   false,
		},
		{
			name: "a placement condition is added",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.Conditions = append(s.Conditions, metav1.Condition{Type: "ClusterResourcePlacementAvailable", Status: metav1.ConditionTrue, Reason: "ResourceAvailable"})
			},
			want: false,
		},
		{
			name:   "the observed resource index moves",
			change: func(s *placementv1beta1.PlacementStatus) { s.ObservedResourceIndex = "2" },
			want:   false,
		},
		{
			name: "an Unknown placement condition changes reason",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.Conditions[0].Reason = "RolloutControlledByExternalController"
			},
			want: true,
		},
		{
			name: "the selection changes",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.SelectedResources = append(s.SelectedResources, placementv1beta1.ResourceIdentifier{Version: "v1", Kind: "ConfigMap", Name: "cfg", Namespace: "app"})
			},
			want: false,
		},
		{
			name: "a cluster leaves",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.PerClusterPlacementStatuses = s.PerClusterPlacementStatuses[:1]
			},
			want: true,
		},
		{
			name: "a cluster is scheduled",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.PerClusterPlacementStatuses = append(s.PerClusterPlacementStatuses, placementv1beta1.PerClusterPlacementStatus{
					ClusterName: "c", Conditions: []metav1.Condition{{Type: "Scheduled", Status: metav1.ConditionTrue, Reason: "Scheduled"}},
				})
			},
			want: true,
		},
		{
			name: "a new cluster comes with a False condition",
			change: func(s *placementv1beta1.PlacementStatus) {
				s.PerClusterPlacementStatuses = append(s.PerClusterPlacementStatuses, placementv1beta1.PerClusterPlacementStatus{
					ClusterName: "c", Conditions: []metav1.Condition{{Type: "RolloutStarted", Status: metav1.ConditionFalse, Reason: "RolloutNotStartedYet"}},
				})
			},
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, updated := paceStatus(), paceStatus()
			tt.change(updated)
			if got := progressOnly(old, updated); got != tt.want {
				t.Errorf("progressOnly() = %v, want %v", got, tt.want)
			}
		})
	}

	// An External placement's clusters all reaching the index its rollout
	// moves them to, while some have yet to finish starting, is progress;
	// its first index, once the rollout is done, and leaving an index are not.
	mixed := func() *placementv1beta1.PlacementStatus {
		s := paceStatus()
		s.ObservedResourceIndex, s.SelectedResources = "", nil
		s.Conditions[0].Reason = "RolloutControlledByExternalController"
		return s
	}
	for _, tt := range []struct {
		name       string
		old, upd   *placementv1beta1.PlacementStatus
		done, want bool
	}{
		{name: "all clusters reach the rollout's index", old: mixed(), upd: paceStatus(), want: true},
		{name: "the rollout completes on the index", old: mixed(), upd: paceStatus(), done: true, want: false},
		{name: "the clusters leave the index", old: paceStatus(), upd: mixed(), want: false},
	} {
		if tt.done {
			tt.upd.Conditions[0].Status, tt.upd.Conditions[0].Reason = metav1.ConditionTrue, "RolloutStarted"
		}
		if got := progressOnly(tt.old, tt.upd); got != tt.want {
			t.Errorf("%s: progressOnly() = %v, want %v", tt.name, got, tt.want)
		}
	}

	// A cluster that stays False with the same reason is progress again.
	old, updated := paceStatus(), paceStatus()
	old.PerClusterPlacementStatuses[0].Conditions[1].Status = metav1.ConditionFalse
	updated.PerClusterPlacementStatuses[0].Conditions[1].Status = metav1.ConditionFalse
	updated.PerClusterPlacementStatuses[0].Conditions[1].Message = "still failing"
	if !progressOnly(old, updated) {
		t.Errorf("progressOnly() = false for a cluster condition that stays False with the same reason, want true")
	}
}

func TestStatusPacerHold(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	progress := func() (*placementv1beta1.PlacementStatus, *placementv1beta1.PlacementStatus) {
		old, updated := paceStatus(), paceStatus()
		updated.Conditions[0].Message = "There are still 0 cluster(s) in the process"
		return old, updated
	}
	outcome := func() (*placementv1beta1.PlacementStatus, *placementv1beta1.PlacementStatus) {
		old, updated := paceStatus(), paceStatus()
		updated.Conditions[0].Status = metav1.ConditionTrue
		return old, updated
	}
	tests := []struct {
		name    string
		written bool // the placement's status was written at start
		elapsed time.Duration
		change  func() (*placementv1beta1.PlacementStatus, *placementv1beta1.PlacementStatus)
		want    time.Duration
	}{
		{name: "first write after a restart", change: progress, elapsed: 0, want: 0},
		{name: "progress right after a write", written: true, change: progress, elapsed: 200 * time.Millisecond, want: 1800 * time.Millisecond},
		{name: "progress once the interval passed", written: true, change: progress, elapsed: 2 * time.Second, want: 0},
		{name: "an outcome right after a write", written: true, change: outcome, elapsed: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			p := newStatusPacer(func() time.Time { return now })
			if tt.written {
				p.wrote("crp")
			}
			now = start.Add(tt.elapsed)
			old, updated := tt.change()
			// Two clusters: an interval of two seconds.
			if got := max(p.hold("crp", old, updated), 0); got != tt.want {
				t.Errorf("hold() = %v, want %v", got, tt.want)
			}
		})
	}

	p := newStatusPacer(func() time.Time { return start })
	p.wrote("crp")
	p.forget("crp")
	if old, updated := progress(); p.hold("crp", old, updated) > 0 {
		t.Errorf("hold() > 0 for a forgotten placement, want 0")
	}
}

func TestProgressInterval(t *testing.T) {
	for clusters, want := range map[int]time.Duration{0: 0, 3: 3 * time.Second, 20: 20 * time.Second, 30: 30 * time.Second, 100: 100 * time.Second, 5000: 2 * time.Minute} {
		if got := progressInterval(clusters); got != want {
			t.Errorf("progressInterval(%d) = %v, want %v", clusters, got, want)
		}
	}
}

// TestWriteStatusPacesProgress checks what is stored on the API server: a
// progress-only change right after a write waits for the interval, and an
// outcome is written at once.
func TestWriteStatusPacesProgress(t *testing.T) {
	ctx := context.Background()
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: "crp", Generation: 1}}
	c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(crp).WithStatusSubresource(crp).Build()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	r := &Reconciler{client: c, pacer: newStatusPacer(func() time.Time { return now }), ownWrites: ownwrites.New()}

	stored := func() *placementv1beta1.PlacementStatus {
		t.Helper()
		got := &placementv1beta1.ClusterResourcePlacement{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(crp), got); err != nil {
			t.Fatal(err)
		}
		return &got.Status
	}
	write := func(status *placementv1beta1.PlacementStatus) time.Duration {
		t.Helper()
		cur := &placementv1beta1.ClusterResourcePlacement{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(crp), cur); err != nil {
			t.Fatal(err)
		}
		hold, err := r.writeStatus(ctx, cur, *status.DeepCopy())
		if err != nil {
			t.Fatal(err)
		}
		return hold
	}
	message := func(s *placementv1beta1.PlacementStatus) string { return s.Conditions[0].Message }

	// The first write of a placement is never held back.
	first := paceStatus()
	if hold := write(first); hold != 0 {
		t.Fatalf("first write held back for %v", hold)
	}

	// Progress right after it waits out the interval (two clusters: 2 s).
	now = now.Add(300 * time.Millisecond)
	progress := paceStatus()
	progress.Conditions[0].Message = "There are still 0 cluster(s) in the process"
	if hold := write(progress); hold != 1700*time.Millisecond {
		t.Errorf("progress write held back for %v, want 1.7s", hold)
	}
	if got := message(stored()); got != message(first) {
		t.Errorf("stored message = %q after a held-back write, want the first one %q", got, message(first))
	}

	// Once the interval passed, the same write goes through.
	now = now.Add(1700 * time.Millisecond)
	if hold := write(progress); hold != 0 {
		t.Errorf("progress write held back for %v after the interval, want 0", hold)
	}
	if got := message(stored()); got != message(progress) {
		t.Errorf("stored message = %q, want %q", got, message(progress))
	}

	// An outcome right after that write is written at once.
	outcome := progress.DeepCopy()
	outcome.Conditions[0].Status, outcome.Conditions[0].Reason = metav1.ConditionTrue, "RolloutStarted"
	if hold := write(outcome); hold != 0 {
		t.Errorf("outcome write held back for %v, want 0", hold)
	}
	if got := stored().Conditions[0].Status; got != metav1.ConditionTrue {
		t.Errorf("stored RolloutStarted = %s, want True", got)
	}
}
