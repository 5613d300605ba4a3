// Command crdgen finishes the CRDs controller-gen writes: for every kind that
// KubeFleet serves at placement/cluster.kubernetes-fleet.io/v1 as well as
// v1beta1, it adds a served, non-storage v1 version whose schema, columns and
// subresources are copied from v1beta1. One Go type per kind therefore serves
// both versions; with conversion strategy None the API server only rewrites
// apiVersion between them.
//
// Usage: go run ./hack/crdgen config/crd/bases
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	yaml "go.yaml.in/yaml/v3"

	"github.com/flotilla-dev/flotilla/hack/internal/yamlnode"
)

// servedAtV1 lists the CRDs (by metadata.name) that are also served as v1.
// The staged-update kinds are deliberately absent: Flotilla serves them at
// v1beta1 only, as the tutorial Flotilla is compatible with shows.
var servedAtV1 = []string{
	"clusterresourceplacements.placement.kubernetes-fleet.io",
	"clusterresourcesnapshots.placement.kubernetes-fleet.io",
	"clusterschedulingpolicysnapshots.placement.kubernetes-fleet.io",
	"clusterresourcebindings.placement.kubernetes-fleet.io",
	"works.placement.kubernetes-fleet.io",
	"appliedworks.placement.kubernetes-fleet.io",
	"memberclusters.cluster.kubernetes-fleet.io",
	"internalmemberclusters.cluster.kubernetes-fleet.io",
}

const (
	sourceVersion = "v1beta1"
	addedVersion  = "v1"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdgen <crd-directory>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdgen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return fmt.Errorf("listing CRDs in %s: %w", dir, err)
	}
	found := map[string]bool{}
	for _, file := range files {
		name, err := processFile(file)
		if err != nil {
			return err
		}
		if name != "" {
			found[name] = true
		}
	}
	for _, name := range servedAtV1 {
		if !found[name] {
			return fmt.Errorf("CRD %s is listed as served at %s but no file in %s defines it", name, addedVersion, dir)
		}
	}
	return nil
}

// processFile adds the v1 version to the CRD in file when it is listed and
// returns the CRD's name in that case, or "" when the CRD is left unchanged.
func processFile(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("parsing %s: %w", file, err)
	}
	if len(doc.Content) != 1 {
		return "", fmt.Errorf("%s: expected one YAML document", file)
	}
	root := doc.Content[0]
	name := yamlnode.Scalar(yamlnode.Lookup(yamlnode.Lookup(root, "metadata"), "name"))
	if !slices.Contains(servedAtV1, name) {
		return "", nil
	}
	versions := yamlnode.Lookup(yamlnode.Lookup(root, "spec"), "versions")
	if versions == nil || versions.Kind != yaml.SequenceNode {
		return "", fmt.Errorf("%s: spec.versions missing", file)
	}
	var source *yaml.Node
	for _, v := range versions.Content {
		switch yamlnode.Scalar(yamlnode.Lookup(v, "name")) {
		case addedVersion:
			return "", fmt.Errorf("%s: already has version %s; run controller-gen first", file, addedVersion)
		case sourceVersion:
			source = v
		}
	}
	if source == nil {
		return "", fmt.Errorf("%s: no %s version to copy", file, sourceVersion)
	}
	added := deepCopy(source)
	yamlnode.Lookup(added, "name").Value = addedVersion
	storage := yamlnode.Lookup(added, "storage")
	if storage == nil {
		return "", fmt.Errorf("%s: version %s has no storage field", file, sourceVersion)
	}
	storage.Value = "false"
	// Keep versions sorted by name, as controller-gen does: v1 before v1beta1.
	versions.Content = append([]*yaml.Node{added}, versions.Content...)

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("encoding %s: %w", file, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encoding %s: %w", file, err)
	}
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", file, err)
	}
	return name, nil
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = deepCopy(child)
	}
	return &c
}
