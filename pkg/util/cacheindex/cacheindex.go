// Package cacheindex holds the cache indexes Flotilla's controllers list by. A
// controller-runtime cache answers a label selector by matching every cached
// object of the kind; a fleet's hub holds a binding per placement and
// cluster, so listing one placement's bindings that way costs as much as
// the whole fleet. These indexes turn such lists into lookups.
package cacheindex

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

const (
	// Placement indexes objects by the placement their
	// kubernetes-fleet.io/parent-CRP label names.
	Placement = "index.placement"
	// ParentBinding indexes Works by the binding their
	// kubernetes-fleet.io/parent-resource-binding label names.
	ParentBinding = "index.parentBinding"
)

// registered remembers which indexes were added to which cache: several
// controllers of one manager need the same index, and a cache refuses to
// add one twice.
var registered sync.Map

// byLabel returns the index function of a label: the label's value, if any.
func byLabel(key string) client.IndexerFunc {
	return func(obj client.Object) []string {
		if v := obj.GetLabels()[key]; v != "" {
			return []string{v}
		}
		return nil
	}
}

// PlacementOf is the Placement index function.
var PlacementOf = byLabel(placementv1beta1.PlacementTrackingLabel)

// ParentBindingOf is the ParentBinding index function.
var ParentBindingOf = byLabel(placementv1beta1.ParentBindingLabel)

// AddPlacement adds the Placement index for each kind of objs to the cache
// behind indexer, unless it was added already.
func AddPlacement(ctx context.Context, indexer client.FieldIndexer, objs ...client.Object) error {
	for _, obj := range objs {
		if err := add(ctx, indexer, obj, Placement, PlacementOf); err != nil {
			return err
		}
	}
	return nil
}

// AddParentBinding adds the ParentBinding index of Works, unless it was
// added already.
func AddParentBinding(ctx context.Context, indexer client.FieldIndexer) error {
	return add(ctx, indexer, &placementv1beta1.Work{}, ParentBinding, ParentBindingOf)
}

func add(ctx context.Context, indexer client.FieldIndexer, obj client.Object, name string, fn client.IndexerFunc) error {
	key := fmt.Sprintf("%p/%T/%s", indexer, obj, name)
	if _, loaded := registered.LoadOrStore(key, struct{}{}); loaded {
		return nil
	}
	if err := indexer.IndexField(ctx, obj, name, fn); err != nil {
		registered.Delete(key)
		return fmt.Errorf("indexing %T by %s: %w", obj, name, err)
	}
	return nil
}

// InPlacement selects, from a cache with the Placement index, the objects
// of placement name.
func InPlacement(name string) client.MatchingFields {
	return client.MatchingFields{Placement: name}
}

// OfBinding selects, from a cache with the ParentBinding index, the Works
// of binding name.
func OfBinding(name string) client.MatchingFields {
	return client.MatchingFields{ParentBinding: name}
}

// Index is one index of a kind.
type Index struct {
	Object  client.Object
	Field   string
	Extract client.IndexerFunc
}

// All lists every index, for tests that fake a cache
// (fake.ClientBuilder.WithIndex).
func All() []Index {
	return []Index{
		{&placementv1beta1.ClusterResourceBinding{}, Placement, PlacementOf},
		{&placementv1beta1.ClusterResourceSnapshot{}, Placement, PlacementOf},
		{&placementv1beta1.ClusterSchedulingPolicySnapshot{}, Placement, PlacementOf},
		{&placementv1beta1.Work{}, ParentBinding, ParentBindingOf},
	}
}
