package cacheindex

import (
	"context"
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// recordingIndexer records the indexes added to it, and fails on demand.
type recordingIndexer struct {
	added []string
	fail  bool
}

func (r *recordingIndexer) IndexField(_ context.Context, obj client.Object, field string, _ client.IndexerFunc) error {
	if r.fail {
		return errors.New("boom")
	}
	r.added = append(r.added, field+"/"+typeName(obj))
	return nil
}

func typeName(obj client.Object) string {
	switch obj.(type) {
	case *placementv1beta1.ClusterResourceBinding:
		return "binding"
	case *placementv1beta1.ClusterResourceSnapshot:
		return "resourceSnapshot"
	case *placementv1beta1.Work:
		return "work"
	}
	return "other"
}

func TestAddOncePerCache(t *testing.T) {
	ctx := context.Background()
	a, b := &recordingIndexer{}, &recordingIndexer{}
	for range 2 {
		if err := AddPlacement(ctx, a, &placementv1beta1.ClusterResourceBinding{}, &placementv1beta1.ClusterResourceSnapshot{}); err != nil {
			t.Fatal(err)
		}
		if err := AddParentBinding(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := AddPlacement(ctx, b, &placementv1beta1.ClusterResourceBinding{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{Placement + "/binding", Placement + "/resourceSnapshot", ParentBinding + "/work"}; !slices.Equal(a.added, want) {
		t.Errorf("indexes added to the first cache = %v, want %v", a.added, want)
	}
	if want := []string{Placement + "/binding"}; !slices.Equal(b.added, want) {
		t.Errorf("indexes added to the second cache = %v, want %v", b.added, want)
	}

	failing := &recordingIndexer{fail: true}
	if err := AddParentBinding(ctx, failing); err == nil {
		t.Fatal("AddParentBinding on a failing cache succeeded")
	}
	failing.fail = false
	if err := AddParentBinding(ctx, failing); err != nil || len(failing.added) != 1 {
		t.Errorf("a failed index is not retried: err %v, added %v", err, failing.added)
	}
}

func TestExtract(t *testing.T) {
	tests := map[string]struct {
		labels map[string]string
		fn     client.IndexerFunc
		want   []string
	}{
		"a placement's object":    {labels: map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"}, fn: PlacementOf, want: []string{"crp"}},
		"no placement label":      {labels: map[string]string{"other": "x"}, fn: PlacementOf},
		"an empty placement":      {labels: map[string]string{placementv1beta1.PlacementTrackingLabel: ""}, fn: PlacementOf},
		"a binding's Work":        {labels: map[string]string{placementv1beta1.ParentBindingLabel: "crp-member1"}, fn: ParentBindingOf, want: []string{"crp-member1"}},
		"a Work without a parent": {fn: ParentBindingOf},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Labels: tc.labels}}
			if got := tc.fn(obj); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
