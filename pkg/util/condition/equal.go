package condition

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ListsEqual reports whether two condition lists hold the same conditions
// in the same order, as equality.Semantic.DeepEqual does (a nil list equals
// an empty one, transition times are compared as instants), without
// allocating. Status comparisons run on every reconcile, over lists of
// every cluster of a placement or run.
func ListsEqual(a, b []metav1.Condition) bool {
	return slices.EqualFunc(a, b, Equal)
}

// Equal reports whether two conditions say the same.
func Equal(x, y metav1.Condition) bool {
	return x.Type == y.Type && x.Status == y.Status && x.ObservedGeneration == y.ObservedGeneration &&
		x.LastTransitionTime.Equal(&y.LastTransitionTime) && x.Reason == y.Reason && x.Message == y.Message
}
