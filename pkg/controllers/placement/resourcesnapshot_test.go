package placement

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

func testNamespace() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": "test-namespace", "uid": "1", "resourceVersion": "5",
			"labels": map[string]any{"kubernetes.io/metadata.name": "test-namespace"}},
		"spec":   map[string]any{"finalizers": []any{"kubernetes"}},
		"status": map[string]any{"phase": "Active"},
	}}
}

func testConfigMap(value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "test-cm", "namespace": "test-namespace", "uid": "2", "resourceVersion": "7"},
		"data":     map[string]any{"key": value},
	}}
}

// describe lists name -> "latest=<label> index=<label> parts=<annotation> sub=<annotation>".
func describe(t *testing.T, c client.Client) map[string]string {
	t.Helper()
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := c.List(t.Context(), list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list.Items {
		out[s.Name] = fmt.Sprintf("latest=%s index=%s parts=%s sub=%s", s.Labels[placementv1beta1.IsLatestSnapshotLabel],
			s.Labels[placementv1beta1.ResourceIndexLabel], s.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation],
			s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation])
	}
	return out
}

func newTestReconciler(t *testing.T, limit int32) (*Reconciler, *placementv1beta1.ClusterResourcePlacement) {
	t.Helper()
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: "example-placement", UID: "crp-uid"}}
	if limit > 0 {
		crp.Spec.RevisionHistoryLimit = ptr.To(limit)
	}
	builder := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(crp)
	for _, i := range cacheindex.All() {
		builder = builder.WithIndex(i.Object, i.Field, i.Extract)
	}
	c := builder.Build()
	return NewReconciler(c, nil), crp
}

func TestEnsureResourceSnapshotsFollowsTheTutorial(t *testing.T) {
	r, crp := newTestReconciler(t, 0)
	ctx := t.Context()

	master, err := r.ensureResourceSnapshots(ctx, crp, []*unstructured.Unstructured{testConfigMap("value1"), testNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	if master.Name != "example-placement-0-snapshot" {
		t.Errorf("first master = %q, want example-placement-0-snapshot", master.Name)
	}
	var got []map[string]any
	for _, c := range master.Spec.SelectedResources {
		var m map[string]any
		if err := json.Unmarshal(c.Raw, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "test-namespace",
			"labels": map[string]any{"kubernetes.io/metadata.name": "test-namespace"}}, "spec": map[string]any{"finalizers": []any{"kubernetes"}}},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "test-cm", "namespace": "test-namespace"},
			"data": map[string]any{"key": "value1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selected resources mismatch (-want,+got):\n%s", diff)
	}

	// Unchanged content (even with new resource versions) never makes a new index.
	cm := testConfigMap("value1")
	cm.SetResourceVersion("99")
	if _, err := r.ensureResourceSnapshots(ctx, crp, []*unstructured.Unstructured{testNamespace(), cm}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"example-placement-0-snapshot": "latest=true index=0 parts=1 sub="}, describe(t, r.client)); diff != "" {
		t.Errorf("after an unchanged selection (-want,+got):\n%s", diff)
	}

	// kubectl edit cm: the next index becomes latest.
	master, err = r.ensureResourceSnapshots(ctx, crp, []*unstructured.Unstructured{testNamespace(), testConfigMap("value2")})
	if err != nil {
		t.Fatal(err)
	}
	if master.Name != "example-placement-1-snapshot" {
		t.Errorf("master after the edit = %q, want example-placement-1-snapshot", master.Name)
	}
	if diff := cmp.Diff(map[string]string{
		"example-placement-0-snapshot": "latest=false index=0 parts=1 sub=",
		"example-placement-1-snapshot": "latest=true index=1 parts=1 sub=",
	}, describe(t, r.client)); diff != "" {
		t.Errorf("after the edit (-want,+got):\n%s", diff)
	}
}

func TestEnsureResourceSnapshotsPrunesBeyondTheHistoryLimit(t *testing.T) {
	r, crp := newTestReconciler(t, 2)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := r.ensureResourceSnapshots(t.Context(), crp, []*unstructured.Unstructured{testConfigMap(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]string{
		"example-placement-1-snapshot": "latest=false index=1 parts=1 sub=",
		"example-placement-2-snapshot": "latest=true index=2 parts=1 sub=",
	}, describe(t, r.client)); diff != "" {
		t.Errorf("snapshots (-want,+got):\n%s", diff)
	}
}

func TestEnsureResourceSnapshotsSplitsLargeSelections(t *testing.T) {
	r, crp := newTestReconciler(t, 0)
	// Three ConfigMaps of ~500 KB each: no two fit in one 800 KB snapshot.
	var objs []*unstructured.Unstructured
	for i := range 3 {
		cm := testConfigMap(strings.Repeat("v", 500*1024))
		cm.SetName(fmt.Sprintf("big-%d", i))
		objs = append(objs, cm)
	}
	master, err := r.ensureResourceSnapshots(t.Context(), crp, objs)
	if err != nil {
		t.Fatal(err)
	}
	wantGroup := map[string]string{
		"example-placement-0-snapshot": "latest=true index=0 parts=3 sub=",
		"example-placement-0-0":        "latest=true index=0 parts= sub=0",
		"example-placement-0-1":        "latest=true index=0 parts= sub=1",
	}
	if diff := cmp.Diff(wantGroup, describe(t, r.client)); diff != "" {
		t.Errorf("snapshots (-want,+got):\n%s", diff)
	}
	if len(master.Spec.SelectedResources) != 1 {
		t.Errorf("master holds %d objects, want 1", len(master.Spec.SelectedResources))
	}

	// A sub-snapshot lost to a crash is recreated without a new index.
	if err := r.client.Delete(t.Context(), &placementv1beta1.ClusterResourceSnapshot{ObjectMeta: metav1.ObjectMeta{Name: "example-placement-0-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ensureResourceSnapshots(t.Context(), crp, objs); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantGroup, describe(t, r.client)); diff != "" {
		t.Errorf("snapshots after repair (-want,+got):\n%s", diff)
	}
}
