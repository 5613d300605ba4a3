package resource

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// snapshot returns a snapshot of index (a label value) holding one resource
// named after it; sub < 0 makes a master announcing total snapshots.
func snapshot(name, index string, sub, total int) *placementv1beta1.ClusterResourceSnapshot {
	s := &placementv1beta1.ClusterResourceSnapshot{ObjectMeta: metav1.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{placementv1beta1.ResourceIndexLabel: index},
		Annotations: map[string]string{},
	}}
	if sub < 0 {
		s.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation] = strconv.Itoa(total)
	} else {
		s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation] = strconv.Itoa(sub)
	}
	s.Spec.SelectedResources = []placementv1beta1.ResourceContent{{}}
	s.Spec.SelectedResources[0].Raw = []byte(name)
	return s
}

func TestGroupSnapshots(t *testing.T) {
	// summary is what a test sees of a group.
	type summary struct {
		Index     int
		Snapshots []string
		Resources []string
		Complete  bool
	}
	tests := map[string]struct {
		in          []*placementv1beta1.ClusterResourceSnapshot
		want        []summary
		wantInvalid []string
	}{
		"groups by index, oldest first, master then subs by sub-index": {
			in: []*placementv1beta1.ClusterResourceSnapshot{
				snapshot("crp-1-1", "1", 1, 0),
				snapshot("crp-0-snapshot", "0", -1, 1),
				snapshot("crp-1-0", "1", 0, 0),
				snapshot("crp-1-snapshot", "1", -1, 3),
			},
			want: []summary{
				{Index: 0, Snapshots: []string{"crp-0-snapshot"}, Resources: []string{"crp-0-snapshot"}, Complete: true},
				{Index: 1, Snapshots: []string{"crp-1-snapshot", "crp-1-0", "crp-1-1"}, Resources: []string{"crp-1-snapshot", "crp-1-0", "crp-1-1"}, Complete: true},
			},
		},
		"a group missing a sub-snapshot is incomplete": {
			in:   []*placementv1beta1.ClusterResourceSnapshot{snapshot("crp-2-snapshot", "2", -1, 2)},
			want: []summary{{Index: 2, Snapshots: []string{"crp-2-snapshot"}, Resources: []string{"crp-2-snapshot"}}},
		},
		"a group without its master is incomplete": {
			in:   []*placementv1beta1.ClusterResourceSnapshot{snapshot("crp-3-0", "3", 0, 0)},
			want: []summary{{Index: 3, Snapshots: []string{"crp-3-0"}, Resources: []string{"crp-3-0"}}},
		},
		"snapshots without a valid index are set apart": {
			in: []*placementv1beta1.ClusterResourceSnapshot{
				snapshot("no-index", "", -1, 1),
				snapshot("negative", "-1", -1, 1),
				snapshot("crp-0-snapshot", "0", -1, 1),
			},
			want:        []summary{{Index: 0, Snapshots: []string{"crp-0-snapshot"}, Resources: []string{"crp-0-snapshot"}, Complete: true}},
			wantInvalid: []string{"no-index", "negative"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			groups, invalid := GroupSnapshots(tc.in)
			got := []summary{}
			for _, g := range groups {
				s := summary{Index: g.Index, Complete: g.Complete()}
				for _, sn := range g.Snapshots() {
					s.Snapshots = append(s.Snapshots, sn.Name)
				}
				for _, r := range g.Resources() {
					s.Resources = append(s.Resources, string(r.Raw))
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want,+got):\n%s", diff)
			}
			var gotInvalid []string
			for _, s := range invalid {
				gotInvalid = append(gotInvalid, s.Name)
			}
			if diff := cmp.Diff(tc.wantInvalid, gotInvalid); diff != "" {
				t.Errorf("invalid (-want,+got):\n%s", diff)
			}
		})
	}
}
