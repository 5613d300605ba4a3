package localfleet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Kwok manages the nodes carrying this annotation; the fleet's fake nodes
// have it.
const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
)

// kwokStageKind is the kind of kwok's Stage objects.
const kwokStageKind = "Stage"

// StagesFile is the file in the fleet's Dir that holds the Stage objects
// given to kwok with --config.
const StagesFile = "kwok-stages.yaml"

// NeverReadyImage is a container image whose pods kwok never makes ready on
// the fleet's members: a Deployment using it plays a bad release that never
// becomes available.
const NeverReadyImage = "flotilla.test/never-ready:v1"

// podReadyStage is the kwok Stage that makes pending pods ready.
const podReadyStage = "pod-ready"

// neverReady is the selector term added to the pod-ready Stage so that it
// skips pods whose first container runs NeverReadyImage.
var neverReady = map[string]any{
	"key":      ".spec.containers.[0].image",
	"operator": "NotIn",
	"values":   []any{NeverReadyImage},
}

// assembleStages joins the Stage manifests in dir (every *.yaml, by name:
// kwok's node-initialize.yaml and pod-*.yaml from its "fast" stages) into one
// multi-document YAML. Each file must hold one Stage.
func assembleStages(dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no kwok Stage manifests (*.yaml) in %s; run `make localfleet-tools`", dir)
	}
	slices.Sort(files)
	var docs [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("reading kwok stage %s: %w", f, err)
		}
		if head.Kind != kwokStageKind || head.Metadata.Name == "" {
			return nil, fmt.Errorf("%s holds a %q named %q, want one kwok Stage", f, head.Kind, head.Metadata.Name)
		}
		if head.Metadata.Name == podReadyStage {
			if data, err = skipNeverReady(data); err != nil {
				return nil, fmt.Errorf("adapting kwok stage %s: %w", f, err)
			}
		}
		docs = append(docs, bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("---"))))
	}
	return append(bytes.Join(docs, []byte("\n---\n")), '\n'), nil
}

// skipNeverReady adds the neverReady term to a Stage's selector.
func skipNeverReady(stage []byte) ([]byte, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(stage, &obj); err != nil {
		return nil, err
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return nil, fmt.Errorf("the stage has no spec")
	}
	selector, _ := spec["selector"].(map[string]any)
	if selector == nil {
		selector = map[string]any{}
		spec["selector"] = selector
	}
	terms, _ := selector["matchExpressions"].([]any)
	selector["matchExpressions"] = append(terms, neverReady)
	return yaml.Marshal(obj)
}

// fakeNode is the node kwok plays on a member cluster: no taints, so that
// plain workloads schedule on it; kwok fills in its status (Ready,
// capacity, addresses).
func fakeNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Annotations: map[string]string{
				kwokNodeAnnotation:             kwokNodeValue,
				"node.alpha.kubernetes.io/ttl": "0",
			},
			Labels: map[string]string{
				"type":                          "kwok",
				"kubernetes.io/hostname":        name,
				"kubernetes.io/os":              "linux",
				"kubernetes.io/arch":            "amd64",
				"kubernetes.io/role":            "agent",
				"node-role.kubernetes.io/agent": "",
			},
		},
	}
}
