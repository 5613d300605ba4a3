package charts

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// RBAC holds the hub agent's rules as controller-gen generates them from the
// +kubebuilder:rbac markers into config/rbac/role.yaml.
type RBAC struct {
	// ClusterRules are the ClusterRole's rules, granted cluster-wide.
	ClusterRules []rbacv1.PolicyRule
	// NamespaceRules are the Role's rules, granted in the hub agent's own
	// (leader election) namespace, the release namespace in the chart.
	NamespaceRules []rbacv1.PolicyRule
}

// ConfigRBAC reads config/rbac/role.yaml.
func ConfigRBAC(t TB) RBAC {
	t.Helper()
	file := filepath.Join(RepoRoot(), "config", "rbac", "role.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	var rbac RBAC
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "---" {
			continue
		}
		var obj struct {
			Kind  string              `json:"kind"`
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("parsing %s: %v", file, err)
		}
		switch obj.Kind {
		case "ClusterRole":
			rbac.ClusterRules = append(rbac.ClusterRules, obj.Rules...)
		case "Role":
			rbac.NamespaceRules = append(rbac.NamespaceRules, obj.Rules...)
		default:
			t.Fatalf("%s: unexpected kind %q", file, obj.Kind)
		}
	}
	if len(rbac.ClusterRules) == 0 {
		t.Fatalf("%s has no ClusterRole rules", file)
	}
	return rbac
}
