package selection

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// selectsIndex indexes placements by the objects their selector terms can
// pick, so that a change to one object reads only the placements that may
// select it rather than copying every placement out of the cache (at 1000
// placements, a ConfigMap change per placement copied a million placement
// structs). The keys over-approximate mightSelect, which has the last word:
//
//   - a term with a name (and no label selector) is keyed by that name; a
//     namespace term by name also by namespaceKey, for the objects in it;
//   - any other term (a label selector, or every object of a kind) is
//     keyed anyKey.
const selectsIndex = "index.selects"

const anyKey = "*"

func nameKey(name string) string      { return "name/" + name }
func namespaceKey(name string) string { return "namespace/" + name }

// selectsKeys is the selectsIndex function of ClusterResourcePlacements.
func selectsKeys(obj client.Object) []string {
	crp, ok := obj.(*placementv1beta1.ClusterResourcePlacement)
	if !ok {
		return nil
	}
	var keys []string
	for i := range crp.Spec.ResourceSelectors {
		t := &crp.Spec.ResourceSelectors[i]
		switch {
		case t.Name == "" || t.LabelSelector != nil:
			keys = append(keys, anyKey)
		case isNamespaceTerm(t):
			keys = append(keys, nameKey(t.Name), namespaceKey(t.Name))
		default:
			keys = append(keys, nameKey(t.Name))
		}
	}
	return keys
}

// candidateKeys are the selectsIndex keys of the placements that may select
// obj, of kind r.
func candidateKeys(r Resource, obj metav1.Object) []string {
	keys := []string{anyKey, nameKey(obj.GetName())}
	if r.Namespaced {
		keys = append(keys, namespaceKey(obj.GetNamespace()))
	}
	return keys
}

// PlacementCache reads placements from, and indexes them in, the manager's
// cache.
type PlacementCache interface {
	client.Reader
	client.FieldIndexer
}

// indexPlacements adds selectsIndex to the cache.
func indexPlacements(ctx context.Context, c client.FieldIndexer) error {
	if err := c.IndexField(ctx, &placementv1beta1.ClusterResourcePlacement{}, selectsIndex, selectsKeys); err != nil {
		return fmt.Errorf("indexing placements by what they select: %w", err)
	}
	return nil
}

// candidates returns the placements that may select obj, of kind r, read
// from the cache without copies (only mightSelect reads them).
func (w *Watcher) candidates(ctx context.Context, r Resource, obj metav1.Object) ([]*placementv1beta1.ClusterResourcePlacement, error) {
	seen := map[string]bool{}
	var out []*placementv1beta1.ClusterResourcePlacement
	for _, key := range candidateKeys(r, obj) {
		crps := &placementv1beta1.ClusterResourcePlacementList{}
		if err := w.placements.List(ctx, crps, client.MatchingFields{selectsIndex: key}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		for i := range crps.Items {
			if crp := &crps.Items[i]; !seen[crp.Name] {
				seen[crp.Name] = true
				out = append(out, crp)
			}
		}
	}
	return out, nil
}
