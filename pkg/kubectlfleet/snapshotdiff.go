package kubectlfleet

import (
	"fmt"
	"io"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// diffContext is how many unchanged lines surround each change.
const diffContext = 3

// snapshotResource is one selected resource of a snapshot group, rendered as YAML.
type snapshotResource struct {
	// id names the resource across groups: kind[.group], namespace and name.
	id   string
	yaml string
}

// changeCounts sums up a diff.
type changeCounts struct {
	changed, added, removed, unchanged int
}

// renderDiff writes what changed in a placement's selected resources from
// group from to group to: a summary line, then one unified diff of the
// YAML per changed, added or removed resource.
func renderDiff(w io.Writer, placement string, from, to *resource.SnapshotGroup) error {
	before, err := snapshotResources(from)
	if err != nil {
		return err
	}
	after, err := snapshotResources(to)
	if err != nil {
		return err
	}
	beforeByID := map[string]snapshotResource{}
	for _, r := range before {
		beforeByID[r.id] = r
	}
	afterByID := map[string]snapshotResource{}
	for _, r := range after {
		afterByID[r.id] = r
	}

	// The new group's order (the order resources are applied in), then what it dropped.
	var ids []string
	for _, r := range after {
		ids = append(ids, r.id)
	}
	for _, r := range before {
		if _, ok := afterByID[r.id]; !ok {
			ids = append(ids, r.id)
		}
	}

	var counts changeCounts
	var b strings.Builder
	for _, id := range ids {
		old, hadOld := beforeByID[id]
		cur, hasNew := afterByID[id]
		d := difflib.UnifiedDiff{Context: diffContext}
		var change string
		switch {
		case !hadOld:
			counts.added++
			change = "added"
			d.FromFile, d.ToFile = "/dev/null", fmt.Sprintf("%d/%s", to.Index, id)
			d.B = lines(cur.yaml)
		case !hasNew:
			counts.removed++
			change = "removed"
			d.FromFile, d.ToFile = fmt.Sprintf("%d/%s", from.Index, id), "/dev/null"
			d.A = lines(old.yaml)
		case old.yaml == cur.yaml:
			counts.unchanged++
			continue
		default:
			counts.changed++
			change = "changed"
			d.FromFile, d.ToFile = fmt.Sprintf("%d/%s", from.Index, id), fmt.Sprintf("%d/%s", to.Index, id)
			d.A, d.B = lines(old.yaml), lines(cur.yaml)
		}
		fmt.Fprintf(&b, "# %s: %s\n", change, id)
		if err := difflib.WriteUnifiedDiff(&b, d); err != nil {
			return fmt.Errorf("diffing %s: %w", id, err)
		}
	}

	summary := fmt.Sprintf("%d changed, %d added, %d removed, %d unchanged", counts.changed, counts.added, counts.removed, counts.unchanged)
	if counts.changed+counts.added+counts.removed == 0 {
		_, err := fmt.Fprintf(w, "# ClusterResourcePlacement %s: no changes from resource snapshot index %d to %d (%s)\n", placement, from.Index, to.Index, summary)
		return err
	}
	if _, err := fmt.Fprintf(w, "# ClusterResourcePlacement %s, resource snapshot index %d -> %d: %s\n", placement, from.Index, to.Index, summary); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// snapshotResources decodes a group's selected resources.
func snapshotResources(g *resource.SnapshotGroup) ([]snapshotResource, error) {
	contents := g.Resources()
	out := make([]snapshotResource, 0, len(contents))
	for i, c := range contents {
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(c.Raw); err != nil {
			return nil, fmt.Errorf("decoding selected resource %d of resource snapshot index %d: %w", i, g.Index, err)
		}
		y, err := yaml.JSONToYAML(c.Raw)
		if err != nil {
			return nil, fmt.Errorf("rendering %s as YAML: %w", resourceID(obj), err)
		}
		out = append(out, snapshotResource{id: resourceID(obj), yaml: string(y)})
	}
	return out, nil
}

// resourceID names a resource as Kind[.group]/[namespace/]name, so that a
// change of API version alone shows as a change, not as a removal and an
// addition.
func resourceID(obj *unstructured.Unstructured) string {
	gvk := obj.GroupVersionKind()
	kind := gvk.Kind
	if gvk.Group != "" {
		kind += "." + gvk.Group
	}
	if ns := obj.GetNamespace(); ns != "" {
		return kind + "/" + ns + "/" + obj.GetName()
	}
	return kind + "/" + obj.GetName()
}

// lines splits text into lines that keep their line ends.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
