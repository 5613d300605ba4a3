package resource

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

func TestStrip(t *testing.T) {
	tests := map[string]struct {
		in, want map[string]any
	}{
		"the tutorial's ConfigMap as read from the hub": {
			in: map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{
					"name": "test-cm", "namespace": "test-namespace", "uid": "u", "resourceVersion": "12",
					"creationTimestamp": "2026-11-28T00:00:00Z", "managedFields": []any{map[string]any{"manager": "kubectl"}},
					"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}"},
				},
				"data": map[string]any{"key": "value1"},
			},
			want: map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": "test-cm", "namespace": "test-namespace"},
				"data":     map[string]any{"key": "value1"},
			},
		},
		"the tutorial's Namespace keeps its labels and spec, loses its status": {
			in: map[string]any{
				"apiVersion": "v1", "kind": "Namespace",
				"metadata": map[string]any{
					"name": "test-namespace", "generation": int64(1), "ownerReferences": []any{},
					"labels": map[string]any{"kubernetes.io/metadata.name": "test-namespace"},
				},
				"spec":   map[string]any{"finalizers": []any{"kubernetes"}},
				"status": map[string]any{"phase": "Active"},
			},
			want: map[string]any{
				"apiVersion": "v1", "kind": "Namespace",
				"metadata": map[string]any{
					"name": "test-namespace", "labels": map[string]any{"kubernetes.io/metadata.name": "test-namespace"},
				},
				"spec": map[string]any{"finalizers": []any{"kubernetes"}},
			},
		},
		"user annotations stay": {
			in: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c",
				"annotations": map[string]any{"team": "a", "kubectl.kubernetes.io/last-applied-configuration": "{}"}}},
			want: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c",
				"annotations": map[string]any{"team": "a"}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := &unstructured.Unstructured{Object: tc.in}
			before := in.DeepCopy()
			got := Strip(in)
			if diff := cmp.Diff(tc.want, got.Object); diff != "" {
				t.Errorf("Strip() mismatch (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(before.Object, in.Object); diff != "" {
				t.Errorf("Strip() changed its input (-before,+after):\n%s", diff)
			}
		})
	}
}

func TestSort(t *testing.T) {
	objs := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "b", "x"),
		obj("apps/v1", "Deployment", "a", "web"),
		obj("v1", "ConfigMap", "a", "y"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "things.example.io"),
		obj("v1", "Namespace", "", "b"),
		obj("v1", "Namespace", "", "a"),
	}
	Sort(objs)
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	want := []string{
		"Namespace//a", "Namespace//b", "CustomResourceDefinition//things.example.io",
		"ConfigMap/a/y", "ConfigMap/b/x", "Deployment/a/web",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sort() order mismatch (-want,+got):\n%s", diff)
	}
}

func TestHash(t *testing.T) {
	encode := func(objs ...*unstructured.Unstructured) []placementv1beta1.ResourceContent {
		Sort(objs)
		c, err := Encode(objs)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cm := func(value string) *unstructured.Unstructured {
		o := obj("v1", "ConfigMap", "test-namespace", "test-cm")
		o.Object["data"] = map[string]any{"key": value}
		return o
	}
	ns := obj("v1", "Namespace", "", "test-namespace")
	tests := map[string]struct {
		a, b     []placementv1beta1.ResourceContent
		wantSame bool
	}{
		"same objects in another order":  {a: encode(ns, cm("value1")), b: encode(cm("value1"), ns), wantSame: true},
		"edited ConfigMap":               {a: encode(ns, cm("value1")), b: encode(ns, cm("value2"))},
		"an object removed":              {a: encode(ns, cm("value1")), b: encode(ns)},
		"empty selections are identical": {a: encode(), b: encode(), wantSame: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Hash(tc.a) == Hash(tc.b); got != tc.wantSame {
				t.Errorf("Hash() equal = %v, want %v", got, tc.wantSame)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	content := func(sizes ...int) []placementv1beta1.ResourceContent {
		var out []placementv1beta1.ResourceContent
		for _, s := range sizes {
			out = append(out, placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: []byte(strings.Repeat("x", s))}})
		}
		return out
	}
	sizes := func(chunks [][]placementv1beta1.ResourceContent) [][]int {
		out := [][]int{}
		for _, c := range chunks {
			row := []int{}
			for _, r := range c {
				row = append(row, len(r.Raw))
			}
			out = append(out, row)
		}
		return out
	}
	tests := map[string]struct {
		in   []placementv1beta1.ResourceContent
		want [][]int
	}{
		"nothing selected: one empty chunk": {in: nil, want: [][]int{{}}},
		"fits in one":                       {in: content(3, 4, 3), want: [][]int{{3, 4, 3}}},
		"exactly the limit":                 {in: content(5, 5), want: [][]int{{5, 5}}},
		"over the limit":                    {in: content(6, 5, 4, 1), want: [][]int{{6}, {5, 4, 1}}},
		"an object bigger than the limit":   {in: content(2, 25, 2), want: [][]int{{2}, {25}, {2}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, sizes(Split(tc.in, 10))); diff != "" {
				t.Errorf("Split() mismatch (-want,+got):\n%s", diff)
			}
		})
	}
}
