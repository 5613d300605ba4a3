package scheduler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// creationRecorder fails the creations of some clusters and records how many
// creations were in flight at most.
type creationRecorder struct {
	fail map[string]bool

	mu       sync.Mutex
	attempts int
	inFlight int
	most     int
}

func (c *creationRecorder) create(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
	c.mu.Lock()
	c.attempts++
	c.inFlight++
	c.most = max(c.most, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	// Long enough for every creation of a batch to start before the
	// first one returns.
	time.Sleep(20 * time.Millisecond)
	if b, ok := obj.(*placementv1beta1.ClusterResourceBinding); ok && c.fail[b.Spec.TargetCluster] {
		return fmt.Errorf("webhook denied %s", b.Spec.TargetCluster)
	}
	return cl.Create(ctx, obj, opts...)
}

func TestCreateBindings(t *testing.T) {
	tests := map[string]struct {
		clusters int
		fail     []int
		// wantAttempts is how many creations were tried, wantMost the most
		// at once.
		wantAttempts, wantMost int
		wantErr                []string
	}{
		"none":                 {clusters: 0},
		"one":                  {clusters: 1, wantAttempts: 1, wantMost: 1},
		"batches grow 1, 2, 4": {clusters: 7, wantAttempts: 7, wantMost: 4},
		"batches are capped":   {clusters: 100, wantAttempts: 100, wantMost: maxCreateBatch},
		"a failing first creation stops the pass": {
			clusters: 50, fail: []int{0}, wantAttempts: 1, wantMost: 1, wantErr: []string{"member-00"},
		},
		"a failing batch ends, and stops the pass": {
			clusters: 50, fail: []int{4, 5}, wantAttempts: 7, wantMost: 4, wantErr: []string{"member-04", "member-05"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := &creationRecorder{fail: map[string]bool{}}
			for _, i := range tc.fail {
				rec.fail[fmt.Sprintf("member-%02d", i)] = true
			}
			c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).
				WithInterceptorFuncs(interceptor.Funcs{Create: rec.create}).Build()
			r := NewReconciler(c)
			var decisions []placementv1beta1.ClusterDecision
			for i := range tc.clusters {
				decisions = append(decisions, placementv1beta1.ClusterDecision{ClusterName: fmt.Sprintf("member-%02d", i), Selected: true})
			}

			err := r.createBindings(context.Background(), "crp", "crp-0", decisions)

			if len(tc.wantErr) == 0 && err != nil {
				t.Fatalf("createBindings: %v", err)
			}
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("createBindings error = %v, want one naming %s", err, want)
				}
			}
			if rec.attempts != tc.wantAttempts || rec.most != tc.wantMost {
				t.Errorf("creations tried %d, at most %d at once; want %d and %d", rec.attempts, rec.most, tc.wantAttempts, tc.wantMost)
			}

			// Every creation that succeeded is there, once, and awaited
			// in the cache as this scheduler's own write.
			got := bindingsOf(t, c)
			if want := tc.wantAttempts - len(tc.fail); len(got) != want {
				t.Errorf("%d bindings created, want %d", len(got), want)
			}
			var names []string
			for cluster, b := range got {
				if rec.fail[cluster] {
					t.Errorf("binding created for %s, whose creation failed", cluster)
				}
				names = append(names, b.Name)
			}
			r.ownWrites.mu.Lock()
			awaited := len(r.ownWrites.byPlacement["crp"])
			r.ownWrites.mu.Unlock()
			if awaited != len(names) {
				t.Errorf("%d creations awaited in the cache, want the %d made", awaited, len(names))
			}
		})
	}
}
