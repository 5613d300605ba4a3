// Package resource prepares selected hub objects for a resource snapshot:
// it strips what the hub's API server owns, orders objects so that equal
// selections always encode the same way, hashes a selection, and splits it
// into chunks that each fit in one snapshot object.
package resource

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// MaxSnapshotBytes is how many bytes of encoded resources one snapshot holds
// at most, well below the API server's 1.5 MiB request limit.
const MaxSnapshotBytes = 800 * 1024

// serverOwnedMetadata are metadata fields the hub's API server or hub
// controllers set; they mean nothing on a member cluster.
var serverOwnedMetadata = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "selfLink", "ownerReferences", "generateName",
}

// droppedAnnotations are annotations written by tools on the hub.
var droppedAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
}

// Strip returns a copy of obj as it should be placed: without status, without
// server-owned metadata and without the hub tools' annotations.
func Strip(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	unstructured.RemoveNestedField(out.Object, "status")
	for _, f := range serverOwnedMetadata {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}
	if annotations := out.GetAnnotations(); annotations != nil {
		for _, a := range droppedAnnotations {
			delete(annotations, a)
		}
		if len(annotations) == 0 {
			annotations = nil
		}
		out.SetAnnotations(annotations)
	}
	if len(out.GetLabels()) == 0 {
		unstructured.RemoveNestedField(out.Object, "metadata", "labels")
	}
	return out
}

// applyOrder ranks kinds that other objects depend on, so they come first
// (and are applied first on members): namespaces and CRDs before the rest.
func applyOrder(obj *unstructured.Unstructured) int {
	gvk := obj.GroupVersionKind()
	switch {
	case gvk.Group == "" && gvk.Kind == "Namespace":
		return 0
	case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
		return 1
	default:
		return 2
	}
}

// Sort orders objects by apply order, then group, version, kind, namespace and name.
func Sort(objs []*unstructured.Unstructured) {
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		ga, gb := a.GroupVersionKind(), b.GroupVersionKind()
		return cmp.Or(
			cmp.Compare(applyOrder(a), applyOrder(b)),
			cmp.Compare(ga.Group, gb.Group),
			cmp.Compare(ga.Version, gb.Version),
			cmp.Compare(ga.Kind, gb.Kind),
			cmp.Compare(a.GetNamespace(), b.GetNamespace()),
			cmp.Compare(a.GetName(), b.GetName()),
		)
	})
}

// Encode turns sorted objects into snapshot content.
func Encode(objs []*unstructured.Unstructured) ([]placementv1beta1.ResourceContent, error) {
	out := make([]placementv1beta1.ResourceContent, 0, len(objs))
	for _, o := range objs {
		raw, err := json.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		out = append(out, placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: raw}})
	}
	return out, nil
}

// Hash returns the hex sha-256 of encoded content; equal selections, in the
// order Sort gives, always have equal hashes.
func Hash(content []placementv1beta1.ResourceContent) string {
	h := sha256.New()
	for _, c := range content {
		h.Write(c.Raw)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Split cuts content into chunks of at most maxBytes of encoded objects each,
// keeping the order. There is always at least one chunk, and an object
// larger than maxBytes gets a chunk of its own.
func Split(content []placementv1beta1.ResourceContent, maxBytes int) [][]placementv1beta1.ResourceContent {
	chunks := [][]placementv1beta1.ResourceContent{{}}
	size := 0
	for _, c := range content {
		last := len(chunks) - 1
		if size+len(c.Raw) > maxBytes && len(chunks[last]) > 0 {
			chunks = append(chunks, nil)
			last++
			size = 0
		}
		chunks[last] = append(chunks[last], c)
		size += len(c.Raw)
	}
	return chunks
}
