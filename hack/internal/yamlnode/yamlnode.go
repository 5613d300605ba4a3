// Package yamlnode reads YAML node trees (go.yaml.in/yaml/v3), for the
// generators under hack/ that rewrite generated manifests while keeping their
// layout and comments.
package yamlnode

import yaml "go.yaml.in/yaml/v3"

// Lookup returns the value of key in the mapping node n, or nil when n is
// not a mapping or has no such key. Lookups chain: a nil n gives nil.
func Lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Scalar returns the value of n, or "" for a nil node.
func Scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}
