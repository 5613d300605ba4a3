package selection

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// TestFreshnessFollowsChanges: a selection stays current until an object the
// placement might select changes, or the served kinds change; changes to
// other placements' objects do not count.
func TestFreshnessFollowsChanges(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := placementv1beta1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	crp := func(name, ns string) *placementv1beta1.ClusterResourcePlacement {
		return &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: placementv1beta1.PlacementSpec{ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{
				{Version: "v1", Kind: "Namespace", Name: ns},
			}},
		}
	}
	placements := fake.NewClientBuilder().WithScheme(scheme).WithObjects(crp("a", "app-a"), crp("b", "app-b")).
		WithIndex(&placementv1beta1.ClusterResourcePlacement{}, selectsIndex, selectsKeys).Build()
	w := newWatcher(nil, nil, placements, time.Hour)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	w.ctx, w.queue = context.Background(), q
	configMaps := Resource{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespaced: true}
	cm := func(ns string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cm"}}
	}

	fa, fb := w.freshness("a"), w.freshness("b")
	w.changed(configMaps, cm("app-a"))
	if w.freshness("a") == fa {
		t.Error("a change in app-a leaves placement a's selection current")
	}
	if w.freshness("b") != fb {
		t.Error("a change in app-a makes placement b's selection stale")
	}

	fa, fb = w.freshness("a"), w.freshness("b")
	w.changed(configMaps, cm("elsewhere"))
	if w.freshness("a") != fa || w.freshness("b") != fb {
		t.Error("a change no placement selects makes a selection stale")
	}

	w.forget("a")
	if got := w.freshness("a"); got.changes != 0 {
		t.Errorf("a forgotten placement has %d changes, want 0", got.changes)
	}
}
