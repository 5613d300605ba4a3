package applier

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// testMapper serves ConfigMaps (namespaced) and Namespaces (cluster-scoped).
func testMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{{Version: "v1"}})
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	return m
}

func raw(s string) placementv1beta1.Manifest {
	return placementv1beta1.Manifest{RawExtension: runtime.RawExtension{Raw: []byte(s)}}
}

func TestDecodeManifests(t *testing.T) {
	// outcome is what a test sees of a decoded manifest.
	type outcome struct {
		ID        placementv1beta1.WorkResourceIdentifier
		Reason    string
		Transient bool
		Object    map[string]any
	}
	tests := map[string]struct {
		manifests []placementv1beta1.Manifest
		want      []outcome
	}{
		"a ConfigMap is mapped to its resource, status and server metadata dropped": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app","resourceVersion":"7","uid":"u"},"data":{"key":"value1"},"status":{"x":1}}`)},
			want: []outcome{{
				ID:     placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "app", Name: "cm"},
				Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "app"}, "data": map[string]any{"key": "value1"}},
			}},
		},
		"a namespaced object without a namespace goes to default": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}`)},
			want: []outcome{{
				ID:     placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "default", Name: "cm"},
				Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "default"}},
			}},
		},
		"a cluster-scoped object loses a namespace it should not have": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app","namespace":"oops"}}`)},
			want: []outcome{{
				ID:     placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "Namespace", Resource: "namespaces", Name: "app"},
				Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "app"}},
			}},
		},
		"a manifest that is not JSON cannot be decoded": {
			manifests: []placementv1beta1.Manifest{raw(`not json`)},
			want:      []outcome{{Reason: placementv1beta1.ManifestDecodingErredReason}},
		},
		"an empty manifest cannot be decoded": {
			manifests: []placementv1beta1.Manifest{{}},
			want:      []outcome{{Reason: placementv1beta1.ManifestDecodingErredReason}},
		},
		"a manifest without a kind cannot be decoded": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","metadata":{"name":"x"}}`)},
			want:      []outcome{{Reason: placementv1beta1.ManifestDecodingErredReason}},
		},
		"a manifest without a name cannot be decoded": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"app"}}`)},
			want:      []outcome{{Reason: placementv1beta1.ManifestDecodingErredReason}},
		},
		"a manifest with a bad apiVersion cannot be decoded": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"a/b/c","kind":"ConfigMap","metadata":{"name":"x"}}`)},
			want:      []outcome{{Reason: placementv1beta1.ManifestDecodingErredReason}},
		},
		"a manifest with only a generated name is refused": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-","namespace":"app"}}`)},
			want:      []outcome{{Reason: placementv1beta1.ManifestFoundGenerateNameReason}},
		},
		"a kind the member does not serve fails to apply and is retried": {
			manifests: []placementv1beta1.Manifest{raw(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"app"}}`)},
			want: []outcome{{
				ID:        placementv1beta1.WorkResourceIdentifier{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "app", Name: "w"},
				Reason:    placementv1beta1.ManifestApplyFailedReason,
				Transient: true,
				Object:    map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w", "namespace": "app"}},
			}},
		},
		"a second manifest for the same object is a duplicate": {
			manifests: []placementv1beta1.Manifest{
				raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"data":{"a":"1"}}`),
				raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"data":{"a":"2"}}`),
			},
			want: []outcome{
				{
					ID:     placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "app", Name: "cm"},
					Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "app"}, "data": map[string]any{"a": "1"}},
				},
				{
					ID:     placementv1beta1.WorkResourceIdentifier{Ordinal: 1, Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "app", Name: "cm"},
					Reason: placementv1beta1.ManifestDuplicatedReason,
					Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "app"}, "data": map[string]any{"a": "2"}},
				},
			},
		},
		"a bad manifest does not stop the next one": {
			manifests: []placementv1beta1.Manifest{raw(`[]`), raw(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}}`)},
			want: []outcome{
				{Reason: placementv1beta1.ManifestDecodingErredReason},
				{
					ID:     placementv1beta1.WorkResourceIdentifier{Ordinal: 1, Version: "v1", Kind: "Namespace", Resource: "namespaces", Name: "app"},
					Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "app"}},
				},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "fleet-member-m"}}
			work.Spec.Workload.Manifests = tc.manifests
			var got []outcome
			for _, m := range decodeManifests(work, testMapper()) {
				o := outcome{ID: m.id}
				if m.obj != nil {
					o.Object = m.obj.Object
				}
				if m.failure != nil {
					o.Reason, o.Transient = m.failure.reason, m.failure.transient
				} else if m.hash == "" {
					t.Errorf("manifest %d: no hash", m.id.Ordinal)
				}
				got = append(got, o)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decodeManifests() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestHashOfIgnoresKeyOrder(t *testing.T) {
	work := &placementv1beta1.Work{}
	work.Spec.Workload.Manifests = []placementv1beta1.Manifest{
		raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"data":{"a":"1","b":"2"}}`),
		raw(`{"data":{"b":"2","a":"1"},"metadata":{"namespace":"app","name":"cm"},"kind":"ConfigMap","apiVersion":"v1"}`),
		raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"data":{"a":"1","b":"3"}}`),
	}
	ms := decodeManifests(work, testMapper())
	// The second is a duplicate of the first, so its hash is not kept.
	if h, err := hashOf(ms[1].obj); err != nil || h != ms[0].hash {
		t.Errorf("equal manifests hash differently: %s vs %s (%v)", ms[0].hash, h, err)
	}
	if h, err := hashOf(ms[2].obj); err != nil || h == ms[0].hash {
		t.Errorf("different manifests hash equally (%v)", err)
	}
}

func TestInApplyOrder(t *testing.T) {
	ms := []*manifest{
		{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 0, Kind: "ConfigMap"}},
		{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 1, Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}},
		{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 2, Kind: "Namespace"}},
		{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 3}},
		{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 4, Kind: "Namespace"}},
	}
	var got []int
	for _, m := range inApplyOrder(ms) {
		got = append(got, m.id.Ordinal)
	}
	if diff := cmp.Diff([]int{2, 4, 1, 0, 3}, got); diff != "" {
		t.Errorf("inApplyOrder() (-want,+got):\n%s", diff)
	}
}
