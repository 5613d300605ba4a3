package handlers

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestParentPlacement(t *testing.T) {
	cases := map[string]struct {
		labels map[string]string
		want   []reconcile.Request
	}{
		"an object labelled with its placement": {
			labels: map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"},
			want:   []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "crp"}}},
		},
		"an object without the label": {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := &placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: tc.labels}}
			if diff := cmp.Diff(tc.want, ParentPlacement(context.Background(), obj)); diff != "" {
				t.Errorf("ParentPlacement() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestEnqueueParentPlacementAfterCollapsesABurst(t *testing.T) {
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	h := EnqueueParentPlacementAfter(20 * time.Millisecond)
	binding := func(crp string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: crp}}}
	}
	ctx := context.Background()
	h.Create(ctx, event.CreateEvent{Object: binding("crp")}, q)
	for range 3 {
		h.Update(ctx, event.UpdateEvent{ObjectOld: binding("crp"), ObjectNew: binding("crp")}, q)
	}
	h.Delete(ctx, event.DeleteEvent{Object: binding("")}, q) // no parent: nothing
	if q.Len() != 0 {
		t.Fatalf("%d requests before the delay, want none", q.Len())
	}
	got, shutdown := q.Get() // blocks until the delay has passed
	if shutdown {
		t.Fatal("queue shut down")
	}
	if want := (reconcile.Request{NamespacedName: types.NamespacedName{Name: "crp"}}); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	q.Done(got)
	if q.Len() != 0 {
		t.Errorf("%d more requests after the burst, want none", q.Len())
	}
}
