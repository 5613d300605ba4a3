package rollout

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// snapshot returns a resource snapshot of group index; a master when parts > 0
// (announcing parts snapshots), the sub-snapshot sub otherwise.
func snapshot(name, index string, parts, sub string) placementv1beta1.ClusterResourceSnapshot {
	s := placementv1beta1.ClusterResourceSnapshot{ObjectMeta: metav1.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{placementv1beta1.ResourceIndexLabel: index},
		Annotations: map[string]string{},
	}}
	if parts != "" {
		s.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation] = parts
	}
	if sub != "" {
		s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation] = sub
	}
	return s
}

func TestCompleteMaster(t *testing.T) {
	tests := map[string]struct {
		snapshots []placementv1beta1.ClusterResourceSnapshot
		want      string
	}{
		"no snapshot": {},
		"a single master": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-0-snapshot", "0", "1", "")},
			want:      "crp-0-snapshot",
		},
		"a master without the count annotation stands alone": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-0-snapshot", "0", "", "")},
			want:      "crp-0-snapshot",
		},
		"a complete group of three": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{
				snapshot("crp-2-1", "2", "", "1"), snapshot("crp-2-snapshot", "2", "3", ""), snapshot("crp-2-0", "2", "", "0"),
			},
			want: "crp-2-snapshot",
		},
		"a group still missing a sub-snapshot is not rolled out": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-2-snapshot", "2", "3", ""), snapshot("crp-2-0", "2", "", "0")},
		},
		"sub-snapshots without their master are not rolled out": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-2-0", "2", "", "0")},
		},
		"two groups marked latest for a moment: the newer one wins": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-3-snapshot", "3", "1", ""), snapshot("crp-2-snapshot", "2", "1", "")},
			want:      "crp-3-snapshot",
		},
		"the newer of two groups is incomplete: wait rather than roll back": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-2-snapshot", "2", "1", ""), snapshot("crp-3-snapshot", "3", "2", "")},
		},
		"a master with an unreadable count is not rolled out": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-0-snapshot", "0", "many", "")},
		},
		"a snapshot without a readable index is ignored": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp-0-snapshot", "0", "1", ""), snapshot("stray", "x", "1", "")},
			want:      "crp-0-snapshot",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := completeMaster(tc.snapshots); got != tc.want {
				t.Errorf("completeMaster() = %q, want %q", got, tc.want)
			}
		})
	}
}
