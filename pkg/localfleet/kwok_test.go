package localfleet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestAssembleStages(t *testing.T) {
	got, err := assembleStages("testdata/stages")
	if err != nil {
		t.Fatalf("assembleStages: %v", err)
	}
	want := `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-initialize
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .spec.containers.[0].image
      operator: NotIn
      values:
      - flotilla.test/never-ready:v1
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("stage file (-want,+got):\n%s", diff)
	}

	// kwok reads the file as a stream of objects: each must be a Stage.
	var names []string
	for doc := range bytes.SplitSeq(got, []byte("\n---\n")) {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("document %q: %v", doc, err)
		}
		if obj.Kind != kwokStageKind {
			t.Errorf("document %q is a %q, want a Stage", obj.Metadata.Name, obj.Kind)
		}
		names = append(names, obj.Metadata.Name)
	}
	if diff := cmp.Diff([]string{"node-initialize", "pod-ready"}, names); diff != "" {
		t.Errorf("stages (-want,+got):\n%s", diff)
	}
}

func TestAssembleStagesRejects(t *testing.T) {
	cases := map[string]struct {
		dir  string
		want string
	}{
		"a directory without manifests":     {dir: "testdata/none", want: "make localfleet-tools"},
		"a manifest that is not a Stage":    {dir: "testdata/notstage", want: `holds a "ConfigMap"`},
		"a directory with only other files": {dir: "testdata", want: "no kwok Stage manifests"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := assembleStages(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("assembleStages(%q) error = %v, want one containing %q", tc.dir, err, tc.want)
			}
		})
	}
}

func TestFakeNodeIsManagedByKwok(t *testing.T) {
	node := fakeNode("kwok-node-0")
	if got := node.Annotations[kwokNodeAnnotation]; got != kwokNodeValue {
		t.Errorf("annotation %s = %q, want %q: kwok only manages nodes it selects", kwokNodeAnnotation, got, kwokNodeValue)
	}
	if len(node.Spec.Taints) != 0 {
		t.Errorf("taints = %v, want none so that plain workloads schedule", node.Spec.Taints)
	}
}
