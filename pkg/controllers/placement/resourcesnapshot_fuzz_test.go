package placement

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// fuzzKinds are the kinds the fuzzer picks from: cluster-scoped and
// namespaced, with different apply orders.
var fuzzKinds = []struct{ apiVersion, kind string }{
	{"v1", "Namespace"}, {"v1", "ConfigMap"}, {"v1", "Secret"}, {"apps/v1", "Deployment"},
	{"rbac.authorization.k8s.io/v1", "ClusterRole"}, {"apiextensions.k8s.io/v1", "CustomResourceDefinition"},
}

// fuzzObjects turns fuzz data into objects: every 4 bytes are a kind, a
// name, a namespace and a value size (up to 255 KiB, so that selections
// cross the snapshot size limit).
func fuzzObjects(data []byte) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	seen := map[string]bool{}
	for i := 0; i+4 <= len(data) && len(objs) < 64; i += 4 {
		k := fuzzKinds[int(data[i])%len(fuzzKinds)]
		name := fmt.Sprintf("obj-%d", data[i+1])
		ns := fmt.Sprintf("ns-%d", data[i+2]%4)
		if k.kind == "Namespace" || k.kind == "ClusterRole" || k.kind == "CustomResourceDefinition" {
			ns = ""
		}
		key := k.kind + "/" + ns + "/" + name
		if seen[key] {
			continue // a selection holds each object once
		}
		seen[key] = true
		meta := map[string]any{"name": name, "uid": key, "resourceVersion": "1"}
		if ns != "" {
			meta["namespace"] = ns
		}
		objs = append(objs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": k.apiVersion, "kind": k.kind, "metadata": meta,
			"data": map[string]any{"value": strings.Repeat("v", int(data[i+3])*1024)},
		}})
	}
	return objs
}

// FuzzBuildResourceSnapshots checks snapshot hashing and splitting: the
// same selection in any order gives the same hash and chunks; the chunks
// form one complete group holding every object once, in order; no chunk
// exceeds the size limit unless it holds a single larger object.
func FuzzBuildResourceSnapshots(f *testing.F) {
	f.Add([]byte{1, 1, 1, 0}, uint64(1))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 200}, 8), uint64(2))
	f.Add([]byte{0, 5, 0, 0, 1, 5, 0, 255, 3, 9, 1, 250, 4, 4, 0, 1, 5, 7, 0, 3}, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		objs := fuzzObjects(data)
		snapshots, err := buildResourceSnapshots("fuzz", 3, objs)
		if err != nil {
			t.Fatalf("buildResourceSnapshots: %v", err)
		}
		shuffled := append([]*unstructured.Unstructured(nil), objs...)
		rand.New(rand.NewPCG(seed, seed)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, err := buildResourceSnapshots("fuzz", 3, shuffled)
		if err != nil {
			t.Fatalf("buildResourceSnapshots (shuffled): %v", err)
		}
		hash := snapshots[0].Annotations[placementv1beta1.ResourceGroupHashAnnotation]
		if hash == "" || hash != again[0].Annotations[placementv1beta1.ResourceGroupHashAnnotation] || len(snapshots) != len(again) {
			t.Fatalf("the same selection in another order gives hash %q in %d chunks, then %q in %d",
				hash, len(snapshots), again[0].Annotations[placementv1beta1.ResourceGroupHashAnnotation], len(again))
		}

		groups, invalid := resource.GroupSnapshots(snapshots)
		if len(invalid) > 0 || len(groups) != 1 || !groups[0].Complete() {
			t.Fatalf("the snapshots form %d groups (complete: %v), %d invalid", len(groups), len(groups) == 1 && groups[0].Complete(), len(invalid))
		}
		got := groups[0].Resources()
		if len(got) != len(objs) {
			t.Fatalf("the group holds %d objects, want %d", len(got), len(objs))
		}
		for i, s := range snapshots {
			size := 0
			for _, c := range s.Spec.SelectedResources {
				size += len(c.Raw)
			}
			if size > resource.MaxSnapshotBytes && len(s.Spec.SelectedResources) > 1 {
				t.Errorf("chunk %d holds %d objects in %d bytes, over the %d limit", i, len(s.Spec.SelectedResources), size, resource.MaxSnapshotBytes)
			}
		}
		againGroups, _ := resource.GroupSnapshots(again)
		for i, c := range againGroups[0].Resources() {
			if !bytes.Equal(got[i].Raw, c.Raw) {
				t.Fatalf("object %d differs between the two orders", i)
			}
		}
	})
}
