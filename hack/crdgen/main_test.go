package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func crd(name string, versions ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + name + "\nspec:\n  versions:\n")
	for _, v := range versions {
		b.WriteString("  - name: " + v + "\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n")
	}
	return b.String()
}

type version struct {
	Name    string         `json:"name"`
	Served  bool           `json:"served"`
	Storage bool           `json:"storage"`
	Schema  map[string]any `json:"schema"`
}

func versionsOf(t *testing.T, file string) []version {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Spec struct {
			Versions []version `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj.Spec.Versions
}

func TestProcessFile(t *testing.T) {
	schema := map[string]any{"openAPIV3Schema": map[string]any{"type": "object"}}
	tests := map[string]struct {
		content      string
		wantName     string
		wantVersions []version
		wantErr      string
	}{
		"a listed CRD gains a served, non-storage v1 copied from v1beta1": {
			content:  crd("works.placement.kubernetes-fleet.io", "v1beta1"),
			wantName: "works.placement.kubernetes-fleet.io",
			wantVersions: []version{
				{Name: "v1", Served: true, Storage: false, Schema: schema},
				{Name: "v1beta1", Served: true, Storage: true, Schema: schema},
			},
		},
		"an unlisted CRD is left alone": {
			content:      crd("clusterstagedupdateruns.placement.kubernetes-fleet.io", "v1beta1"),
			wantVersions: []version{{Name: "v1beta1", Served: true, Storage: true, Schema: schema}},
		},
		"a listed CRD that already has v1 is an error": {
			content: crd("works.placement.kubernetes-fleet.io", "v1", "v1beta1"),
			wantErr: "already has version v1",
		},
		"a listed CRD without v1beta1 is an error": {
			content: crd("works.placement.kubernetes-fleet.io", "v1alpha1"),
			wantErr: "no v1beta1 version to copy",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "crd.yaml")
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := processFile(file)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("processFile() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("processFile() error = %v", err)
			}
			if got != tc.wantName {
				t.Errorf("processFile() = %q, want %q", got, tc.wantName)
			}
			if diff := cmp.Diff(tc.wantVersions, versionsOf(t, file)); diff != "" {
				t.Errorf("versions mismatch (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRunReportsListedCRDsThatAreMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "works.yaml"), []byte(crd("works.placement.kubernetes-fleet.io", "v1beta1")), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(dir)
	if err == nil || !strings.Contains(err.Error(), "clusterresourceplacements.placement.kubernetes-fleet.io is listed") {
		t.Fatalf("run() error = %v, want it to name the missing clusterresourceplacements CRD", err)
	}
}
