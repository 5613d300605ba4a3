package selection

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	discoveryfake "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestNamespacedResourcesAreRememberedUntilInvalidated(t *testing.T) {
	verbs := metav1.Verbs{"get", "list", "watch"}
	dc := &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{{
		GroupVersion: "v1",
		APIResources: []metav1.APIResource{{Name: "configmaps", Kind: "ConfigMap", Namespaced: true, Verbs: verbs}},
	}}}}
	c := NewCatalog(dc)
	kinds := func() []string {
		t.Helper()
		rs, err := c.NamespacedResources()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.GVK.Kind)
		}
		return out
	}

	if got := kinds(); len(got) != 1 || got[0] != "ConfigMap" {
		t.Fatalf("NamespacedResources() kinds = %v, want [ConfigMap]", got)
	}
	// Once known, the list is not computed from discovery again: asking
	// costs the caller's copy only.
	if allocs := testing.AllocsPerRun(10, func() { _, _ = c.NamespacedResources() }); allocs > 1 {
		t.Errorf("NamespacedResources() of a known catalog allocates %v times, want 1 (the copy)", allocs)
	}
	// The caller's copy is its own.
	rs, _ := c.NamespacedResources()
	rs[0].GVK.Kind = "Changed"

	// A kind appears: until discovery is invalidated, the remembered list
	// is the answer; afterwards the new kind is in it.
	dc.Resources[0].APIResources = append(dc.Resources[0].APIResources, metav1.APIResource{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: verbs})
	if got := kinds(); len(got) != 1 || got[0] != "ConfigMap" {
		t.Errorf("NamespacedResources() kinds before Invalidate = %v, want the remembered [ConfigMap]", got)
	}
	c.Invalidate()
	if got := kinds(); len(got) != 2 {
		t.Errorf("NamespacedResources() kinds after Invalidate = %v, want ConfigMap and Secret", got)
	}
}
