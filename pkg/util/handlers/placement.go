// Package handlers holds the event mappings several controllers share.
package handlers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// ParentPlacement maps a snapshot, binding or Work to the placement its
// parent-CRP label names, and objects without the label to nothing.
func ParentPlacement(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[placementv1beta1.PlacementTrackingLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
}

// EnqueueParentPlacement enqueues the placement an object belongs to.
var EnqueueParentPlacement = handler.EnqueueRequestsFromMapFunc(ParentPlacement)

// EnqueueParentPlacementAfter enqueues the placement an object belongs to
// after delay. The queue holds a key once, so the events of a burst (the
// status writes of a rollout's bindings) collapse into one reconcile at the
// end of the delay instead of one each.
func EnqueueParentPlacementAfter(delay time.Duration) handler.EventHandler {
	return EnqueueAfter(ParentPlacement, func(reconcile.Request) time.Duration { return delay })
}

// EnqueueAfter maps an object's events to requests with mapFn and enqueues
// each request after the delay delayOf gives it (at once when it is not
// positive).
func EnqueueAfter(mapFn handler.MapFunc, delayOf func(reconcile.Request) time.Duration) handler.EventHandler {
	add := func(ctx context.Context, obj client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range mapFn(ctx, obj) {
			q.AddAfter(req, delayOf(req))
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.ObjectNew, q)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object, q)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, e.Object, q)
		},
	}
}
