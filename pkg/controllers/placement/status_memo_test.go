package placement

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

func TestStatusMemo(t *testing.T) {
	clusters := func(names ...string) []placementv1beta1.PerClusterPlacementStatus {
		var out []placementv1beta1.PerClusterPlacementStatus
		for _, n := range names {
			out = append(out, placementv1beta1.PerClusterPlacementStatus{ClusterName: n})
		}
		return out
	}
	// A step puts a list at rv, forgets the placement, lets time pass, or
	// gets at rv (want is the list expected, or nil for a miss).
	type step struct {
		call  string
		name  string
		rv    string
		list  []placementv1beta1.PerClusterPlacementStatus
		after time.Duration
	}
	tests := map[string][]step{
		"nothing is remembered at first": {
			{call: "get", name: "a", rv: "1"},
		},
		"a list is remembered at its version only": {
			{call: "put", name: "a", rv: "1", list: clusters("m1")},
			{call: "get", name: "a", rv: "1", list: clusters("m1")},
			{call: "get", name: "a", rv: "2"},
			{call: "get", name: "b", rv: "1"},
		},
		"a later put replaces the list": {
			{call: "put", name: "a", rv: "1", list: clusters("m1")},
			{call: "put", name: "a", rv: "2", list: clusters("m1", "m2")},
			{call: "get", name: "a", rv: "1"},
			{call: "get", name: "a", rv: "2", list: clusters("m1", "m2")},
		},
		"a forgotten placement is not remembered": {
			{call: "put", name: "a", rv: "1", list: clusters("m1")},
			{call: "forget", name: "a"},
			{call: "get", name: "a", rv: "1"},
		},
		"a placement in use stays": {
			{call: "put", name: "a", rv: "1", list: clusters("m1")},
			{call: "wait", after: memoIdle - time.Second},
			{call: "get", name: "a", rv: "1", list: clusters("m1")},
			{call: "wait", after: memoIdle - time.Second},
			{call: "get", name: "a", rv: "1", list: clusters("m1")},
		},
		"a placement left alone is forgotten": {
			{call: "put", name: "a", rv: "1", list: clusters("m1")},
			{call: "put", name: "b", rv: "1", list: clusters("m2")},
			{call: "wait", after: memoIdle / 2},
			{call: "get", name: "b", rv: "1", list: clusters("m2")},
			{call: "wait", after: memoIdle / 2},
			{call: "get", name: "a", rv: "1"},
			{call: "get", name: "b", rv: "1", list: clusters("m2")},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
			m := newStatusMemo(func() time.Time { return now })
			for i, s := range steps {
				switch s.call {
				case "put":
					m.put(s.name, s.rv, s.list)
				case "forget":
					m.forget(s.name)
				case "wait":
					now = now.Add(s.after)
				case "get":
					got, ok := m.get(s.name, s.rv)
					if ok != (s.list != nil) || len(got) != len(s.list) {
						t.Fatalf("step %d: get(%s, %s) = %v, %v; want %v", i, s.name, s.rv, got, ok, s.list)
					}
					for j := range got {
						if got[j].ClusterName != s.list[j].ClusterName {
							t.Fatalf("step %d: get(%s, %s) = %v, want %v", i, s.name, s.rv, got, s.list)
						}
					}
				}
			}
		})
	}
}

// TestRestoreStatus checks that a placement from the cache gets its
// per-cluster statuses from the memo at its version, and else from the API
// server, whose placement it then remembers.
func TestRestoreStatus(t *testing.T) {
	ctx := context.Background()
	stored := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: "crp"}}
	stored.Status.PerClusterPlacementStatuses = []placementv1beta1.PerClusterPlacementStatus{{ClusterName: "member1", ObservedResourceIndex: "0"}}
	reads := 0
	c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(stored).WithStatusSubresource(stored).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				reads++
				return c.Get(ctx, key, obj, opts...)
			},
		}).Build()
	r := NewReconciler(c, nil)
	cached := func() *placementv1beta1.ClusterResourcePlacement {
		t.Helper()
		crp := &placementv1beta1.ClusterResourcePlacement{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(stored), crp); err != nil {
			t.Fatal(err)
		}
		crp.Status.PerClusterPlacementStatuses = nil // as the hub agent's cache holds it
		return crp
	}

	crp := cached()
	reads = 0
	if err := r.restoreStatus(ctx, crp); err != nil {
		t.Fatal(err)
	}
	if reads != 1 || len(crp.Status.PerClusterPlacementStatuses) != 1 {
		t.Fatalf("with nothing remembered: %d read(s), %d cluster(s); want the API server's placement", reads, len(crp.Status.PerClusterPlacementStatuses))
	}

	crp = cached()
	reads = 0
	if err := r.restoreStatus(ctx, crp); err != nil {
		t.Fatal(err)
	}
	if reads != 0 || len(crp.Status.PerClusterPlacementStatuses) != 1 || crp.Status.PerClusterPlacementStatuses[0].ClusterName != "member1" {
		t.Fatalf("at the remembered version: %d read(s), clusters %+v; want the memo's, without a read", reads, crp.Status.PerClusterPlacementStatuses)
	}

	// Another writer changes the placement: the memo no longer matches.
	crp = cached()
	crp.Labels = map[string]string{"changed": "true"}
	if err := c.Update(ctx, crp); err != nil {
		t.Fatal(err)
	}
	crp = cached()
	reads = 0
	if err := r.restoreStatus(ctx, crp); err != nil {
		t.Fatal(err)
	}
	if reads != 1 || len(crp.Status.PerClusterPlacementStatuses) != 1 {
		t.Fatalf("at a version the memo has not seen: %d read(s), %d cluster(s); want the API server's placement", reads, len(crp.Status.PerClusterPlacementStatuses))
	}
}
