package applier

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// cm returns a ConfigMap as the member's API server returns it, with data.
func cm(data map[string]any, extraMeta map[string]any) map[string]any {
	md := map[string]any{
		"name": "cm", "namespace": "app", "uid": "u1", "resourceVersion": "42", "generation": int64(0),
		"creationTimestamp": "2026-01-01T00:00:00Z",
		"managedFields":     []any{map[string]any{"manager": "work-api-agent"}},
		"ownerReferences":   []any{map[string]any{"kind": "AppliedWork", "name": "w"}},
		"annotations":       map[string]any{placementv1beta1.ManifestHashAnnotation: "abc"},
	}
	for k, v := range extraMeta {
		md[k] = v
	}
	obj := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": md}
	if data != nil {
		obj["data"] = data
	}
	return obj
}

type detail = placementv1beta1.PatchDetail

func TestPartialDiff(t *testing.T) {
	tests := map[string]struct {
		dryRun, live map[string]any
		want         []detail
	}{
		"no change when applying changes nothing": {
			dryRun: cm(map[string]any{"key": "value1"}, nil),
			live:   cm(map[string]any{"key": "value1"}, nil),
		},
		"a changed value": {
			dryRun: cm(map[string]any{"key": "value1"}, nil),
			live:   cm(map[string]any{"key": "edited"}, nil),
			want:   []detail{{Path: "/data/key", ValueInHub: "value1", ValueInMember: "edited"}},
		},
		"a value missing on the member": {
			dryRun: cm(map[string]any{"key": "value1", "other": "x"}, nil),
			live:   cm(map[string]any{"key": "value1"}, nil),
			want:   []detail{{Path: "/data/other", ValueInHub: "x"}},
		},
		"a field the apply would remove": {
			dryRun: cm(map[string]any{"key": "value1"}, nil),
			live:   cm(map[string]any{"key": "value1", "stale": "y"}, nil),
			want:   []detail{{Path: "/data/stale", ValueInMember: "y"}},
		},
		"server-written metadata, owner references, Fleet's annotations and status are never compared": {
			dryRun: cm(map[string]any{"key": "v"}, map[string]any{"resourceVersion": "43", "generation": int64(2),
				"annotations": map[string]any{placementv1beta1.ManifestHashAnnotation: "def"}}),
			live: func() map[string]any {
				o := cm(map[string]any{"key": "v"}, map[string]any{"uid": "u2", "ownerReferences": []any{}, "managedFields": nil})
				o["status"] = map[string]any{"phase": "x"}
				return o
			}(),
		},
		"label keys with slashes are escaped, non-strings rendered as JSON": {
			dryRun: map[string]any{"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/name": "web"}},
				"spec": map[string]any{"replicas": int64(3), "paused": true, "ports": []any{map[string]any{"port": int64(80)}}}},
			live: map[string]any{"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/name": "api"}},
				"spec": map[string]any{"replicas": int64(1), "paused": false, "ports": []any{map[string]any{"port": int64(8080)}}}},
			want: []detail{
				{Path: "/metadata/labels/app.kubernetes.io~1name", ValueInHub: "web", ValueInMember: "api"},
				{Path: "/spec/paused", ValueInHub: "true", ValueInMember: "false"},
				{Path: "/spec/ports/0/port", ValueInHub: "80", ValueInMember: "8080"},
				{Path: "/spec/replicas", ValueInHub: "3", ValueInMember: "1"},
			},
		},
		"an empty map on one side and entries on the other": {
			dryRun: map[string]any{"data": map[string]any{}},
			live:   map[string]any{"data": map[string]any{"a": "1"}},
			want:   []detail{{Path: "/data", ValueInHub: "{}"}, {Path: "/data/a", ValueInMember: "1"}},
		},
		"a longer list on the member": {
			dryRun: map[string]any{"args": []any{"a"}},
			live:   map[string]any{"args": []any{"a", "b"}},
			want:   []detail{{Path: "/args/1", ValueInMember: "b"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := partialDiff(tc.dryRun, tc.live)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("partialDiff() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestFullDiff(t *testing.T) {
	manifest := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm", "namespace": "app"}, "data": map[string]any{"key": "value1"}}
	live := cm(map[string]any{"key": "value1", "extra": "added-on-member"},
		map[string]any{"labels": map[string]any{"team": "a"}})
	dryRun := cm(map[string]any{"key": "value1", "extra": "added-on-member"},
		map[string]any{"labels": map[string]any{"team": "a"}})

	want := []detail{
		{Path: "/data/extra", ValueInMember: "added-on-member"},
		{Path: "/metadata/labels/team", ValueInMember: "a"},
	}
	if diff := cmp.Diff(want, fullDiff(manifest, dryRun, live)); diff != "" {
		t.Errorf("fullDiff() (-want,+got):\n%s", diff)
	}
	if got := partialDiff(dryRun, live); len(got) != 0 {
		t.Errorf("partialDiff() of the same objects = %v, want none: fields the manifest does not set are not compared", got)
	}
}

func TestDiffSetFields(t *testing.T) {
	manifest := map[string]any{"metadata": map[string]any{"name": "cm"}, "data": map[string]any{"key": "hub", "same": "s"}}
	live := cm(map[string]any{"key": "member", "same": "s", "extra": "e"}, nil)
	want := []detail{
		{Path: "/data/key", ValueInHub: "hub", ValueInMember: "member"},
	}
	if diff := cmp.Diff(want, diffSetFields(manifest, live)); diff != "" {
		t.Errorf("diffSetFields() (-want,+got):\n%s", diff)
	}
}

func TestDiffsAreBounded(t *testing.T) {
	hub, member := map[string]any{}, map[string]any{}
	for i := range 2 * maxPatchDetails {
		hub[fmt.Sprintf("k%03d", i)] = "h"
		member[fmt.Sprintf("k%03d", i)] = "m"
	}
	got := diffObjects(hub, member)
	if len(got) != maxPatchDetails {
		t.Fatalf("diffObjects() returned %d details, want %d", len(got), maxPatchDetails)
	}
	if got[0].Path != "/k000" {
		t.Errorf("first detail = %q, want the first path in order", got[0].Path)
	}
}

func TestMissingObjectDiff(t *testing.T) {
	want := []detail{{Path: "/", ValueInHub: "(the whole object)"}}
	if diff := cmp.Diff(want, missingObjectDiff()); diff != "" {
		t.Errorf("missingObjectDiff() (-want,+got):\n%s", diff)
	}
}
