package placement

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestPolicyHash(t *testing.T) {
	pickN := func(n int32, clusters ...string) *placementv1beta1.PlacementPolicy {
		return &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To(n), ClusterNames: clusters}
	}
	tests := map[string]struct {
		a, b     *placementv1beta1.PlacementPolicy
		wantSame bool
	}{
		"PickN scaled: same hash":            {a: pickN(1), b: pickN(5), wantSame: true},
		"identical policies: same hash":      {a: pickN(2), b: pickN(2), wantSame: true},
		"no policy twice: same hash":         {wantSame: true},
		"different type: different hash":     {a: pickN(2), b: &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType}},
		"different clusters: different hash": {a: pickN(2, "a"), b: pickN(2, "b")},
		"no policy vs PickAll: different":    {b: &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ha, err := policyHash(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			hb, err := policyHash(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := ha == hb; got != tc.wantSame {
				t.Errorf("policyHash equal = %v, want %v (%s vs %s)", got, tc.wantSame, ha, hb)
			}
			if len(ha) != 64 {
				t.Errorf("policyHash length = %d, want 64 hex characters", len(ha))
			}
		})
	}
	if a := pickN(3); a.NumberOfClusters == nil || *a.NumberOfClusters != 3 {
		t.Error("policyHash must not modify its input")
	}
}

func snap(index int, hash string, latest bool) *placementv1beta1.ClusterSchedulingPolicySnapshot {
	return &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: "crp-" + strconv.Itoa(index),
			Labels: map[string]string{
				placementv1beta1.PolicyIndexLabel:      strconv.Itoa(index),
				placementv1beta1.IsLatestSnapshotLabel: strconv.FormatBool(latest),
			},
		},
		Spec: placementv1beta1.SchedulingPolicySnapshotSpec{PolicyHash: []byte(hash)},
	}
}

func TestPlanPolicySnapshots(t *testing.T) {
	type plan struct {
		Current   string
		Unlatest  []string
		Prune     []string
		NextIndex int
	}
	names := func(ss []*placementv1beta1.ClusterSchedulingPolicySnapshot) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	tests := map[string]struct {
		existing []*placementv1beta1.ClusterSchedulingPolicySnapshot
		limit    int
		want     plan
		wantErr  bool
	}{
		"first snapshot": {limit: 10, want: plan{NextIndex: 0}},
		"latest matches: keep it": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(0, "old", false), snap(1, "h", true)},
			limit:    10, want: plan{Current: "crp-1", NextIndex: 2},
		},
		"policy changed: old latest steps down, next index": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(1, "x", true), snap(0, "old", false)},
			limit:    10, want: plan{Unlatest: []string{"crp-1"}, NextIndex: 2},
		},
		"policy reverted to an older one: still a new snapshot": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(0, "h", false), snap(1, "x", true)},
			limit:    10, want: plan{Unlatest: []string{"crp-1"}, NextIndex: 2},
		},
		"at the limit: the oldest goes to make room": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(2, "c", true), snap(0, "a", false), snap(1, "b", false)},
			limit:    3, want: plan{Unlatest: []string{"crp-2"}, Prune: []string{"crp-0"}, NextIndex: 3},
		},
		"limit 1: every old snapshot goes": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(0, "a", false), snap(1, "b", true)},
			limit:    1, want: plan{Prune: []string{"crp-0", "crp-1"}, NextIndex: 2},
		},
		"two snapshots marked latest: only the matching newest stays": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{snap(0, "a", true), snap(1, "h", true)},
			limit:    10, want: plan{Current: "crp-1", Unlatest: []string{"crp-0"}, NextIndex: 2},
		},
		"bad index label is an error": {
			existing: []*placementv1beta1.ClusterSchedulingPolicySnapshot{{ObjectMeta: metav1.ObjectMeta{Name: "bad", Labels: map[string]string{placementv1beta1.PolicyIndexLabel: "x"}}}},
			limit:    10, wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := planPolicySnapshots(tc.existing, "h", tc.limit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("planPolicySnapshots() error = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			g := plan{Unlatest: names(got.unlatest), Prune: names(got.prune), NextIndex: got.nextIndex}
			if got.current != nil {
				g.Current = got.current.Name
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("planPolicySnapshots() mismatch (-want,+got):\n%s", diff)
			}
		})
	}
}
