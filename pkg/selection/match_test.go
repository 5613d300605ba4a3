package selection

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestMightSelect(t *testing.T) {
	namespaces := Resource{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}}
	configMaps := Resource{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespaced: true}
	roles := Resource{GVK: schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}}
	byName := func(name string, scope placementv1beta1.SelectionScope) placementv1beta1.ResourceSelectorTerm {
		return placementv1beta1.ResourceSelectorTerm{Version: "v1", Kind: "Namespace", Name: name, SelectionScope: scope}
	}
	byLabel := placementv1beta1.ResourceSelectorTerm{Version: "v1", Kind: "Namespace",
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}}

	cases := map[string]struct {
		terms    []placementv1beta1.ResourceSelectorTerm
		resource Resource
		obj      metav1.ObjectMeta
		nsLabels labels.Set
		want     bool
	}{
		"the selected namespace itself": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", "")}, resource: namespaces,
			obj: metav1.ObjectMeta{Name: "app"}, want: true,
		},
		"another namespace": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", "")}, resource: namespaces,
			obj: metav1.ObjectMeta{Name: "other"},
		},
		"an object inside the selected namespace": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", "")}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "app", Name: "cm"}, want: true,
		},
		"an object inside a namespace selected with NamespaceOnly": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", placementv1beta1.NamespaceOnly)}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "app", Name: "cm"},
		},
		"an object inside another namespace": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", "")}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "other", Name: "cm"},
		},
		"an object inside a namespace whose labels match": {
			terms: []placementv1beta1.ResourceSelectorTerm{byLabel}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "a1", Name: "cm"}, nsLabels: labels.Set{"team": "a"}, want: true,
		},
		"an object inside a namespace whose labels do not match": {
			terms: []placementv1beta1.ResourceSelectorTerm{byLabel}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "b1", Name: "cm"}, nsLabels: labels.Set{"team": "b"},
		},
		"an object inside a namespace whose labels are unknown": {
			terms: []placementv1beta1.ResourceSelectorTerm{byLabel}, resource: configMaps,
			obj: metav1.ObjectMeta{Namespace: "b1", Name: "cm"}, want: true,
		},
		"a namespace whose labels no longer match a label selector": {
			terms: []placementv1beta1.ResourceSelectorTerm{byLabel}, resource: namespaces,
			obj: metav1.ObjectMeta{Name: "b1", Labels: map[string]string{"team": "b"}}, want: true,
		},
		"a cluster-scoped kind of another group": {
			terms: []placementv1beta1.ResourceSelectorTerm{byName("app", "")}, resource: roles,
			obj: metav1.ObjectMeta{Name: "app"},
		},
		"every object of a kind selected without name or labels": {
			terms:    []placementv1beta1.ResourceSelectorTerm{{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}},
			resource: roles, obj: metav1.ObjectMeta{Name: "anything"}, want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crp := &placementv1beta1.ClusterResourcePlacement{Spec: placementv1beta1.PlacementSpec{ResourceSelectors: tc.terms}}
			if got := mightSelect(crp, tc.resource, &tc.obj, tc.nsLabels); got != tc.want {
				t.Errorf("mightSelect() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatusOnly(t *testing.T) {
	meta := func(gen int64, labels map[string]string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Generation: gen, Labels: labels}}
	}
	cases := map[string]struct {
		oldObj, newObj *metav1.PartialObjectMetadata
		want           bool
	}{
		"same generation and metadata":                 {oldObj: meta(2, nil), newObj: meta(2, nil), want: true},
		"a new generation":                             {oldObj: meta(2, nil), newObj: meta(3, nil)},
		"new labels":                                   {oldObj: meta(2, nil), newObj: meta(2, map[string]string{"a": "b"})},
		"an object without generations (a config map)": {oldObj: meta(0, nil), newObj: meta(0, nil)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := statusOnly(tc.oldObj, tc.newObj); got != tc.want {
				t.Errorf("statusOnly() = %v, want %v", got, tc.want)
			}
		})
	}
}
