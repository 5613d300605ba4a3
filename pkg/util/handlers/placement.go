// Package handlers holds the event mappings several controllers share.
package handlers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
