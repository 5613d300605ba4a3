package applier

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// How drifts and diffs are computed.
//
// The agent compares two objects field by field, down to leaf values (an
// empty map or list counts as a leaf), and reports each differing field as a
// JSON pointer (RFC 6901) with the hub's and the member's value.
//
//   - Partial comparison (the default) looks at the fields the hub manifest
//     sets. The hub side is the result of a server-side dry-run apply of the
//     manifest onto the live object, so the API server's defaulting and
//     normalisation (quantities, ports, ...) do not show up as differences,
//     and fields set by others that the manifest does not mention are equal
//     on both sides.
//   - Full comparison adds every field the live object has and the manifest
//     does not set, including fields defaulted by the API server.
//   - Degraded comparison is used when the member cluster rejects the dry run
//     (an invalid manifest): the raw manifest's fields are compared with the
//     live object's, without normalisation.
//
// Metadata the API server or the agent writes (uid, resourceVersion,
// managedFields, ownerReferences, the agent's annotations, ...) and status are
// never compared.

// maxPatchDetails bounds how many differing fields are reported per object,
// to keep the Work small.
const maxPatchDetails = 100

// wholeObjectPath and wholeObjectValue report a manifest whose object does not
// exist on the member cluster (the same placeholder KubeFleet reports).
const (
	wholeObjectPath  = "/"
	wholeObjectValue = "(the whole object)"
)

// ignoredPaths are never compared, nor anything below them.
var ignoredPaths = []string{
	"/metadata/uid",
	"/metadata/resourceVersion",
	"/metadata/generation",
	"/metadata/creationTimestamp",
	"/metadata/deletionTimestamp",
	"/metadata/deletionGracePeriodSeconds",
	"/metadata/managedFields",
	"/metadata/selfLink",
	"/metadata/ownerReferences",
	"/metadata/annotations/" + escapePointer(placementv1beta1.ManifestHashAnnotation),
	"/metadata/annotations/" + escapePointer(placementv1beta1.LastAppliedConfigAnnotation),
	"/metadata/annotations/" + escapePointer("kubectl.kubernetes.io/last-applied-configuration"),
	"/status",
}

func ignored(path string) bool {
	for _, p := range ignoredPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// escapePointer escapes one JSON pointer segment.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// leaves flattens v into its leaf values keyed by JSON pointer, leaving out
// ignored paths.
func leaves(v any) map[string]any {
	out := map[string]any{}
	flatten(v, "", out)
	return out
}

func flatten(v any, path string, out map[string]any) {
	if path != "" && ignored(path) {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && path != "" {
			out[path] = t
		}
		for k, child := range t {
			flatten(child, path+"/"+escapePointer(k), out)
		}
	case []any:
		if len(t) == 0 && path != "" {
			out[path] = t
		}
		for i, child := range t {
			flatten(child, path+"/"+strconv.Itoa(i), out)
		}
	default:
		if path == "" {
			path = wholeObjectPath
		}
		out[path] = v
	}
}

// render writes a leaf value for a PatchDetail: strings as they are,
// everything else as JSON.
func render(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "(unprintable)"
	}
	return string(raw)
}

// diffObjects returns the fields in which hub and member differ.
func diffObjects(hub, member map[string]any) []placementv1beta1.PatchDetail {
	h, m := leaves(hub), leaves(member)
	var out []placementv1beta1.PatchDetail
	for p, hv := range h {
		mv, ok := m[p]
		switch {
		case !ok:
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInHub: render(hv)})
		case !reflect.DeepEqual(hv, mv):
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInHub: render(hv), ValueInMember: render(mv)})
		}
	}
	for p, mv := range m {
		if _, ok := h[p]; !ok {
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInMember: render(mv)})
		}
	}
	return sortAndBound(out)
}

// diffSetFields returns the fields the manifest sets whose live value differs
// (or is missing), without looking at fields only the live object has.
func diffSetFields(manifest, member map[string]any) []placementv1beta1.PatchDetail {
	h, m := leaves(manifest), leaves(member)
	var out []placementv1beta1.PatchDetail
	for p, hv := range h {
		mv, ok := m[p]
		switch {
		case !ok:
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInHub: render(hv)})
		case !reflect.DeepEqual(hv, mv):
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInHub: render(hv), ValueInMember: render(mv)})
		}
	}
	return sortAndBound(out)
}

// extraFields returns the fields the live object has that the manifest does
// not set.
func extraFields(manifest, member map[string]any) []placementv1beta1.PatchDetail {
	h, m := leaves(manifest), leaves(member)
	var out []placementv1beta1.PatchDetail
	for p, mv := range m {
		if _, ok := h[p]; !ok {
			out = append(out, placementv1beta1.PatchDetail{Path: p, ValueInMember: render(mv)})
		}
	}
	return sortAndBound(out)
}

// partialDiff compares the dry-run result of applying the manifest with the
// live object: a field differs when applying would change it.
func partialDiff(dryRun, live map[string]any) []placementv1beta1.PatchDetail {
	return diffObjects(dryRun, live)
}

// fullDiff is partialDiff plus every field the live object has that the
// manifest does not set.
func fullDiff(manifest, dryRun, live map[string]any) []placementv1beta1.PatchDetail {
	return mergeDetails(partialDiff(dryRun, live), extraFields(manifest, live))
}

// mergeDetails joins two sorted lists, keeping the first entry of a path.
func mergeDetails(a, b []placementv1beta1.PatchDetail) []placementv1beta1.PatchDetail {
	out := slices.Clone(a)
	for _, d := range b {
		if !slices.ContainsFunc(a, func(x placementv1beta1.PatchDetail) bool { return x.Path == d.Path }) {
			out = append(out, d)
		}
	}
	return sortAndBound(out)
}

func sortAndBound(ds []placementv1beta1.PatchDetail) []placementv1beta1.PatchDetail {
	slices.SortFunc(ds, func(a, b placementv1beta1.PatchDetail) int { return strings.Compare(a.Path, b.Path) })
	if len(ds) > maxPatchDetails {
		ds = ds[:maxPatchDetails]
	}
	return ds
}

// missingObjectDiff is the diff of a manifest whose object does not exist.
func missingObjectDiff() []placementv1beta1.PatchDetail {
	return []placementv1beta1.PatchDetail{{Path: wholeObjectPath, ValueInHub: wholeObjectValue}}
}
