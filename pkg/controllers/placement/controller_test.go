package placement

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// TestReconcileWaitsForTheCacheToShowItsOwnWrite checks that a reconcile
// reading a placement at the version its own last write replaced writes
// nothing (its write would conflict), and that a status write is recorded
// that way.
func TestReconcileWaitsForTheCacheToShowItsOwnWrite(t *testing.T) {
	ctx := context.Background()
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{
		Name: "crp", Generation: 1, Finalizers: []string{placementv1beta1.PlacementCleanupFinalizer},
	}}
	writes := 0
	c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(crp).WithStatusSubresource(crp).
		WithInterceptorFuncs(interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				writes++
				return c.Create(ctx, obj, opts...)
			},
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				writes++
				return c.Update(ctx, obj, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				writes++
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		}).Build()
	// No selector: a reconcile that goes ahead would select resources.
	r := NewReconciler(c, nil)
	cached := &placementv1beta1.ClusterResourcePlacement{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(crp), cached); err != nil {
		t.Fatal(err)
	}

	// The placement as the cache shows it is the version our last write replaced.
	r.ownWrites.Wrote(crp.Name, cached.ResourceVersion)
	res, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(crp)})
	if err != nil || res != (reconcile.Result{}) {
		t.Fatalf("Reconcile() = %+v, %v while the cache is behind; want nothing and no error", res, err)
	}
	if writes != 0 {
		t.Fatalf("Reconcile() wrote %d time(s) from a cache that has not seen its last write", writes)
	}

	// A status write is remembered in turn: the version it replaced is
	// behind, the one it wrote is not.
	r.ownWrites.Forget(crp.Name)
	status := placementv1beta1.PlacementStatus{ObservedResourceIndex: "0"}
	if _, err := r.writeStatus(ctx, cached.DeepCopy(), status); err != nil {
		t.Fatal(err)
	}
	if writes != 1 {
		t.Fatalf("writeStatus() wrote %d time(s), want 1", writes)
	}
	if !r.ownWrites.Behind(crp.Name, cached.ResourceVersion) {
		t.Error("the placement is not behind at the version the status write replaced")
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(crp), cached); err != nil {
		t.Fatal(err)
	}
	if r.ownWrites.Behind(crp.Name, cached.ResourceVersion) {
		t.Error("the placement is behind at the version the status write wrote")
	}
}
