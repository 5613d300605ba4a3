package selection

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// isNamespaceTerm reports whether t selects namespaces.
func isNamespaceTerm(t *placementv1beta1.ResourceSelectorTerm) bool {
	return t.Group == "" && t.Kind == "Namespace"
}

// scopeOf returns what selecting a namespace through t brings along.
func scopeOf(t *placementv1beta1.ResourceSelectorTerm) placementv1beta1.SelectionScope {
	if t.SelectionScope == "" {
		return placementv1beta1.NamespaceWithResources
	}
	return t.SelectionScope
}

// termMatches reports whether t picks an object called name with labels
// objLabels. Unknown labels (nil) match any label selector, so that a change
// is never missed.
func termMatches(t *placementv1beta1.ResourceSelectorTerm, name string, objLabels labels.Set) bool {
	switch {
	case t.Name != "":
		return t.Name == name
	case t.LabelSelector != nil:
		if objLabels == nil {
			return true
		}
		s, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
		return err == nil && s.Matches(objLabels)
	default:
		return true
	}
}

// mightSelect reports whether a change to obj, of kind r, can change what crp
// selects. It errs on the side of yes: a needless reconcile finds the same
// content and writes nothing, a missed one leaves a snapshot stale.
func mightSelect(crp *placementv1beta1.ClusterResourcePlacement, r Resource, obj metav1.Object, nsLabels labels.Set) bool {
	for i := range crp.Spec.ResourceSelectors {
		t := &crp.Spec.ResourceSelectors[i]
		if t.Group == r.GVK.Group && t.Kind == r.GVK.Kind {
			// A label selector may have matched the object's old labels.
			if t.LabelSelector != nil || termMatches(t, obj.GetName(), obj.GetLabels()) {
				return true
			}
			continue
		}
		// A namespaced object comes along with its namespace.
		if r.Namespaced && isNamespaceTerm(t) && scopeOf(t) == placementv1beta1.NamespaceWithResources &&
			termMatches(t, obj.GetNamespace(), nsLabels) {
			return true
		}
	}
	return false
}
