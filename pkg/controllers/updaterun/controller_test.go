package updaterun

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

func TestReconcileWaitsForTheCacheToShowItsOwnWrite(t *testing.T) {
	ctx := context.Background()
	run := &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: "run", Finalizers: []string{placementv1beta1.ClusterStagedUpdateRunFinalizer}},
		Spec:       placementv1beta1.UpdateRunSpec{PlacementName: "crp", StagedUpdateStrategyName: "strategy"},
	}
	writes := 0
	count := func() { writes++ }
	c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(run).WithStatusSubresource(run).
		WithInterceptorFuncs(interceptor.Funcs{
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				count()
				return c.Update(ctx, obj, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				count()
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		}).Build()
	r := NewReconciler(c, c, clocktesting.NewFakePassiveClock(time.Now()), events.NewFakeRecorder(100), time.Minute)
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "run"}}

	cached := &placementv1beta1.ClusterStagedUpdateRun{}
	if err := c.Get(ctx, req.NamespacedName, cached); err != nil {
		t.Fatal(err)
	}
	// The run as the cache shows it is the version our last write replaced.
	r.ownWrites.Wrote("run", cached.ResourceVersion)
	res, err := r.Reconcile(ctx, req)
	if err != nil || res != (reconcile.Result{}) {
		t.Fatalf("Reconcile() = %+v, %v while the cache is behind; want nothing and no error", res, err)
	}
	if writes != 0 {
		t.Fatalf("Reconcile() wrote %d time(s) from a cache that has not seen its last write", writes)
	}

	// The write lands: the cache shows another version, and the pass goes ahead.
	cached.Labels = map[string]string{"landed": "true"}
	if err := c.Update(ctx, cached); err != nil {
		t.Fatal(err)
	}
	writes = 0
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("Reconcile(): %v", err)
	}
	if writes != 1 {
		t.Errorf("Reconcile() wrote %d time(s) once the cache caught up, want 1 status write", writes)
	}
	// That write is remembered in turn: the version it replaced is behind,
	// the one it wrote is not.
	if !r.ownWrites.Behind("run", cached.ResourceVersion) {
		t.Error("the run is not behind at the version the pass's status write replaced")
	}
	if err := c.Get(ctx, req.NamespacedName, cached); err != nil {
		t.Fatal(err)
	}
	if r.ownWrites.Behind("run", cached.ResourceVersion) {
		t.Error("the run is behind at the version the pass wrote")
	}
}
