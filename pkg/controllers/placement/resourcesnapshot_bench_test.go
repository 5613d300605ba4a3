package placement

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// BenchmarkBuildResourceSnapshots lays out the snapshot group of a 10 MB
// selection (1 000 ConfigMaps of 10 KB, with the server-owned fields a live
// object carries): strip, sort, encode, hash and split into sub-snapshots,
// as each change to a large placement's selection does.
func BenchmarkBuildResourceSnapshots(b *testing.B) {
	const objects, valueBytes = 1000, 10 * 1024
	value := strings.Repeat("x", valueBytes)
	objs := make([]*unstructured.Unstructured, objects)
	for i := range objs {
		objs[i] = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata": map[string]any{
				// Reverse order, so that sorting has work to do.
				"name":              fmt.Sprintf("cm-%04d", objects-i),
				"namespace":         "bench",
				"uid":               fmt.Sprintf("uid-%d", i),
				"resourceVersion":   "12345",
				"creationTimestamp": "2026-01-01T00:00:00Z",
				"managedFields":     []any{map[string]any{"manager": "kubectl", "operation": "Apply"}},
			},
			"data": map[string]any{"value": value},
		}}
	}
	total := objects * valueBytes

	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		snapshots, err := buildResourceSnapshots("bench", 0, objs)
		if err != nil {
			b.Fatal(err)
		}
		if want := total / resource.MaxSnapshotBytes; len(snapshots) < want {
			b.Fatalf("got %d snapshots for %d bytes, want at least %d", len(snapshots), total, want)
		}
	}
}
