package applier

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// manifest is one entry of a Work's manifests, decoded and mapped to a
// resource of the member cluster. When that fails, failure says why and the
// manifest is not processed further.
type manifest struct {
	// obj is the object to apply; nil when the manifest cannot be decoded.
	obj *unstructured.Unstructured
	// id names the manifest (always its ordinal) and, once known, its object.
	id placementv1beta1.WorkResourceIdentifier
	// gvr is the resource serving the object on the member cluster.
	gvr schema.GroupVersionResource
	// hash is the hash of obj, recorded on the applied object.
	hash string
	// failure is set when the manifest cannot be processed.
	failure *result
}

// serverOwnedMetadata is metadata the hub's API server wrote; applying it on
// a member would be wrong (resourceVersion would even act as a precondition).
var serverOwnedMetadata = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "selfLink", "ownerReferences",
}

// errGenerateName marks a manifest that asks the API server to pick a name.
var errGenerateName = errors.New("the manifest sets metadata.generateName but no metadata.name; objects with generated names cannot be applied idempotently and are not supported")

// decode turns the raw manifest into the object to apply: it must be a JSON
// object with apiVersion, kind and metadata.name. Status and metadata the hub
// API server owns are dropped.
func decode(m placementv1beta1.Manifest) (*unstructured.Unstructured, error) {
	raw := m.Raw
	if len(raw) == 0 && m.Object != nil {
		var err error
		if raw, err = utiljson.Marshal(m.Object); err != nil {
			return nil, fmt.Errorf("encoding the manifest: %w", err)
		}
	}
	if len(raw) == 0 {
		return nil, errors.New("the manifest is empty")
	}
	var content map[string]any
	if err := utiljson.Unmarshal(raw, &content); err != nil {
		return nil, fmt.Errorf("the manifest is not a JSON object: %w", err)
	}
	if content == nil {
		return nil, errors.New("the manifest is null")
	}
	obj := &unstructured.Unstructured{Object: content}
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
		return nil, errors.New("the manifest has no apiVersion or no kind")
	}
	if _, err := schema.ParseGroupVersion(obj.GetAPIVersion()); err != nil {
		return nil, fmt.Errorf("the manifest's apiVersion %q is invalid: %w", obj.GetAPIVersion(), err)
	}
	if _, ok := content["metadata"].(map[string]any); !ok {
		return nil, errors.New("the manifest has no metadata")
	}
	if obj.GetName() == "" {
		if obj.GetGenerateName() != "" {
			return nil, errGenerateName
		}
		return nil, errors.New("the manifest has no metadata.name")
	}
	unstructured.RemoveNestedField(obj.Object, "status")
	for _, f := range serverOwnedMetadata {
		unstructured.RemoveNestedField(obj.Object, "metadata", f)
	}
	return obj, nil
}

// hashOf returns the hex sha-256 of obj's JSON encoding (map keys sorted, so
// equal objects hash equally).
func hashOf(obj *unstructured.Unstructured) (string, error) {
	raw, err := utiljson.Marshal(obj.Object)
	if err != nil {
		return "", fmt.Errorf("encoding %s %q: %w", obj.GetKind(), obj.GetName(), err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// decodeManifests decodes every manifest of a Work and maps it to a resource
// on the member cluster. Manifests that fail carry their failure; a manifest
// for an object an earlier manifest already describes is a duplicate; a
// manifest for an object fleet never places is refused (refuse.go).
func decodeManifests(work *placementv1beta1.Work, mapper meta.RESTMapper) []*manifest {
	out := make([]*manifest, 0, len(work.Spec.Workload.Manifests))
	seen := map[objectKey]int{}
	for i, raw := range work.Spec.Workload.Manifests {
		m := &manifest{id: placementv1beta1.WorkResourceIdentifier{Ordinal: i}}
		out = append(out, m)
		obj, err := decode(raw)
		if err != nil {
			reason := placementv1beta1.ManifestDecodingErredReason
			if errors.Is(err, errGenerateName) {
				reason = placementv1beta1.ManifestFoundGenerateNameReason
			}
			m.failure = failed(reason, err, false)
			continue
		}
		m.obj = obj
		gvk := obj.GroupVersionKind()
		m.id.Group, m.id.Version, m.id.Kind = gvk.Group, gvk.Version, gvk.Kind
		m.id.Namespace, m.id.Name = obj.GetNamespace(), obj.GetName()
		if why := refusedGroup(gvk.Group); why != "" {
			m.failure = &result{reason: ManifestRefusedReason, message: refusedMessage(why)}
			continue
		}

		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			// The kind may be installed later (a CRD in flight), so this is retried.
			m.failure = failed(placementv1beta1.ManifestApplyFailedReason,
				fmt.Errorf("the member cluster does not serve %s: %w", gvk, err), true)
			continue
		}
		m.gvr = mapping.Resource
		m.id.Resource = mapping.Resource.Resource
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(metav1.NamespaceDefault)
			}
		} else {
			obj.SetNamespace("")
		}
		m.id.Namespace = obj.GetNamespace()
		if why := refusedObject(m.gvr.GroupResource(), obj); why != "" {
			m.failure = &result{reason: ManifestRefusedReason, message: refusedMessage(why)}
			continue
		}

		key := keyOf(m.gvr.GroupResource(), m.id.Namespace, m.id.Name)
		if first, dup := seen[key]; dup {
			m.failure = failed(placementv1beta1.ManifestDuplicatedReason,
				fmt.Errorf("manifest %d describes the same object", first), false)
			continue
		}
		seen[key] = i

		if m.hash, err = hashOf(obj); err != nil {
			m.failure = failed(placementv1beta1.ManifestDecodingErredReason, err, false)
		}
	}
	return out
}

// applyOrder ranks what other objects depend on first: namespaces, then
// CRDs, then everything else.
func applyOrder(m *manifest) int {
	switch {
	case m.id.Group == "" && m.id.Kind == "Namespace":
		return 0
	case m.id.Group == "apiextensions.k8s.io" && m.id.Kind == "CustomResourceDefinition":
		return 1
	default:
		return 2
	}
}

// inApplyOrder returns the manifests in the order they are applied: by
// applyOrder, then as listed in the Work.
func inApplyOrder(ms []*manifest) []*manifest {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b *manifest) int { return cmp.Compare(applyOrder(a), applyOrder(b)) })
	return out
}

// identity is what makes two manifests (or a manifest and an applied
// resource) describe the same object: the version does not matter.
type identity struct {
	group, kind, namespace, name string
}

func identityOf(id placementv1beta1.WorkResourceIdentifier) identity {
	return identity{group: id.Group, kind: id.Kind, namespace: id.Namespace, name: id.Name}
}
