package selection

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestSelectsKeys(t *testing.T) {
	byLabel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tests := map[string]struct {
		terms []placementv1beta1.ResourceSelectorTerm
		want  []string
	}{
		"a namespace by name":           {terms: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: "app"}}, want: []string{"name/app", "namespace/app"}},
		"a cluster-scoped kind by name": {terms: []placementv1beta1.ResourceSelectorTerm{{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "reader"}}, want: []string{"name/reader"}},
		"namespaces by label":           {terms: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", LabelSelector: byLabel}}, want: []string{anyKey}},
		"every object of a kind":        {terms: []placementv1beta1.ResourceSelectorTerm{{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}}, want: []string{anyKey}},
		"several terms": {
			terms: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: "a"}, {Version: "v1", Kind: "Namespace", LabelSelector: byLabel}},
			want:  []string{"name/a", "namespace/a", anyKey},
		},
		"no terms": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			crp := &placementv1beta1.ClusterResourcePlacement{Spec: placementv1beta1.PlacementSpec{ResourceSelectors: tc.terms}}
			if diff := cmp.Diff(tc.want, selectsKeys(crp)); diff != "" {
				t.Errorf("selectsKeys (-want,+got):\n%s", diff)
			}
		})
	}
}

// The index only narrows what mightSelect looks at: every placement that
// might select an object must be found under one of the object's keys.
func TestSelectsIndexCoversMightSelect(t *testing.T) {
	byLabel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	terms := []placementv1beta1.ResourceSelectorTerm{
		{Version: "v1", Kind: "Namespace", Name: "app"},
		{Version: "v1", Kind: "Namespace", Name: "app", SelectionScope: placementv1beta1.NamespaceOnly},
		{Version: "v1", Kind: "Namespace", Name: "other"},
		{Version: "v1", Kind: "Namespace", LabelSelector: byLabel},
		{Version: "v1", Kind: "Namespace"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "reader"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", LabelSelector: byLabel},
		{Version: "v1", Kind: "ConfigMap", Name: "cfg"},
	}
	namespaces := Resource{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}}
	configMaps := Resource{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespaced: true}
	clusterRoles := Resource{GVK: schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}}
	objects := []struct {
		r   Resource
		obj metav1.ObjectMeta
	}{
		{namespaces, metav1.ObjectMeta{Name: "app"}},
		{namespaces, metav1.ObjectMeta{Name: "unrelated", Labels: map[string]string{"app": "web"}}},
		{configMaps, metav1.ObjectMeta{Namespace: "app", Name: "cfg"}},
		{configMaps, metav1.ObjectMeta{Namespace: "unrelated", Name: "cfg"}},
		{configMaps, metav1.ObjectMeta{Namespace: "other", Name: "x"}},
		{clusterRoles, metav1.ObjectMeta{Name: "reader"}},
		{clusterRoles, metav1.ObjectMeta{Name: "writer", Labels: map[string]string{"app": "web"}}},
	}
	for _, term := range terms {
		crp := &placementv1beta1.ClusterResourcePlacement{Spec: placementv1beta1.PlacementSpec{ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{term}}}
		keys := selectsKeys(crp)
		for _, o := range objects {
			for _, nsLabels := range []labels.Set{nil, {"app": "web"}} {
				if !mightSelect(crp, o.r, &o.obj, nsLabels) {
					continue
				}
				if !slices.ContainsFunc(candidateKeys(o.r, &o.obj), func(k string) bool { return slices.Contains(keys, k) }) {
					t.Errorf("term %+v might select %s %s/%s, but its keys %v miss the object's %v",
						term, o.r.GVK.Kind, o.obj.Namespace, o.obj.Name, keys, candidateKeys(o.r, &o.obj))
				}
			}
		}
	}
}
