package rollout

import (
	"testing"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestExpectations(t *testing.T) {
	// makeBinding's bindings are at resourceVersion "7".
	atVersion := func(rv string) bindingOption {
		return func(b *placementv1beta1.ClusterResourceBinding) { b.ResourceVersion = rv }
	}
	b1 := boundOK("member-1", newSnapshot)
	b2 := boundOK("member-2", newSnapshot)
	tests := map[string]struct {
		record func(*expectations)
		cache  []*placementv1beta1.ClusterResourceBinding
		want   []bool // satisfied, asked twice: what the cache showed is forgotten
	}{
		"nothing written": {
			record: func(*expectations) {},
			cache:  []*placementv1beta1.ClusterResourceBinding{b1},
			want:   []bool{true, true},
		},
		"written, the cache still shows the version the write replaced": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7") },
			cache:  []*placementv1beta1.ClusterResourceBinding{b1, b2},
			want:   []bool{false, false},
		},
		"written, the cache shows a newer version": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7") },
			cache:  []*placementv1beta1.ClusterResourceBinding{boundOK("member-1", newSnapshot, atVersion("8")), b2},
			want:   []bool{true, true},
		},
		"spec then status written, the cache shows the spec write only": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7"); e.wrote("crp", b1.UID, "8") },
			cache:  []*placementv1beta1.ClusterResourceBinding{boundOK("member-1", newSnapshot, atVersion("8"))},
			want:   []bool{false, false},
		},
		"spec then status written, the cache shows both": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7"); e.wrote("crp", b1.UID, "8") },
			cache:  []*placementv1beta1.ClusterResourceBinding{boundOK("member-1", newSnapshot, atVersion("9"))},
			want:   []bool{true, true},
		},
		"deleted, the cache no longer has it": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7") },
			cache:  []*placementv1beta1.ClusterResourceBinding{b2},
			want:   []bool{true, true},
		},
		"another placement's writes do not matter": {
			record: func(e *expectations) { e.wrote("other", b1.UID, "7") },
			cache:  []*placementv1beta1.ClusterResourceBinding{b1},
			want:   []bool{true, true},
		},
		"forgotten": {
			record: func(e *expectations) { e.wrote("crp", b1.UID, "7"); e.forget("crp") },
			cache:  []*placementv1beta1.ClusterResourceBinding{b1},
			want:   []bool{true, true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newExpectations()
			tc.record(e)
			for i, want := range tc.want {
				if got := e.satisfied("crp", tc.cache); got != want {
					t.Errorf("satisfied() call %d = %v, want %v", i+1, got, want)
				}
			}
		})
	}
}
