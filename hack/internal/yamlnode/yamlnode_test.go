package yamlnode

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestLookupAndScalar(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("metadata:\n  name: crd\nlist: [a]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	tests := map[string]struct {
		node *yaml.Node
		want string
	}{
		"a nested key":            {node: Lookup(Lookup(root, "metadata"), "name"), want: "crd"},
		"a missing key":           {node: Lookup(root, "spec"), want: ""},
		"a lookup through nil":    {node: Lookup(Lookup(root, "spec"), "group"), want: ""},
		"a lookup in a sequence":  {node: Lookup(Lookup(root, "list"), "a"), want: ""},
		"a key of a scalar value": {node: Lookup(Lookup(Lookup(root, "metadata"), "name"), "x"), want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Scalar(tc.node); got != tc.want {
				t.Errorf("Scalar = %q, want %q", got, tc.want)
			}
		})
	}
	if Lookup(root, "metadata") == nil {
		t.Error("Lookup(root, metadata) = nil, want the mapping")
	}
}
