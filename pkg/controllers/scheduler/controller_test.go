package scheduler

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// TestReconcileWaitsForTheCacheToShowItsSnapshotStatusWrite checks that a
// pass reading the policy snapshot at the version its own last status write
// replaced writes nothing (its status write would conflict), that a status
// write is recorded that way, and that the pass goes ahead once the cache
// shows the write.
func TestReconcileWaitsForTheCacheToShowItsSnapshotStatusWrite(t *testing.T) {
	ctx := context.Background()
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{
		Name: "crp", Generation: 1, Finalizers: []string{placementv1beta1.SchedulerCleanupFinalizer},
	}}
	snapshot := policySnapshot(map[string]string{placementv1beta1.CRPGenerationAnnotation: "1"}, nil)
	snapshot.Labels = map[string]string{
		placementv1beta1.PlacementTrackingLabel: "crp", placementv1beta1.IsLatestSnapshotLabel: "true", placementv1beta1.PolicyIndexLabel: "0",
	}
	member := memberCluster("member1")
	writes := 0
	count := interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			writes++
			return c.Create(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			writes++
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}
	c := interceptor.NewClient(newFakeClient(crp, snapshot, &member).(client.WithWatch), count)
	r := NewReconciler(c)
	cached := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(snapshot), cached); err != nil {
		t.Fatal(err)
	}
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(crp)}

	// The snapshot as the cache shows it is the version our last status write replaced.
	r.snapshotWrites.Wrote(snapshot.Name, cached.ResourceVersion)
	if res, err := r.Reconcile(ctx, req); err != nil || res != (reconcile.Result{}) {
		t.Fatalf("Reconcile() = %+v, %v while the cache is behind; want nothing and no error", res, err)
	}
	if writes != 0 {
		t.Fatalf("Reconcile() wrote %d time(s) from a cache that has not seen its last status write", writes)
	}

	// The write's event arrives: the pass creates the binding and writes
	// the status, and remembers that write in turn.
	r.snapshotWrites.Forget(snapshot.Name)
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("Reconcile(): %v", err)
	}
	if writes != 2 {
		t.Fatalf("Reconcile() wrote %d time(s), want a binding and the snapshot's status", writes)
	}
	if !r.snapshotWrites.Behind(snapshot.Name, cached.ResourceVersion) {
		t.Error("the snapshot is not behind at the version the status write replaced")
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(snapshot), cached); err != nil {
		t.Fatal(err)
	}
	if r.snapshotWrites.Behind(snapshot.Name, cached.ResourceVersion) {
		t.Error("the snapshot is behind at the version the status write wrote")
	}
}
