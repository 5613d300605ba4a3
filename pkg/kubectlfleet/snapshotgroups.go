package kubectlfleet

import (
	"fmt"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// groupSnapshots sorts a placement's snapshots into groups by index, oldest
// first, and describes what is wrong with them: snapshots without a valid
// index (left out), groups without a master, and incomplete groups.
func groupSnapshots(snapshots []placementv1beta1.ClusterResourceSnapshot) ([]*resource.SnapshotGroup, []string) {
	ptrs := make([]*placementv1beta1.ClusterResourceSnapshot, len(snapshots))
	for i := range snapshots {
		ptrs[i] = &snapshots[i]
	}
	groups, invalid := resource.GroupSnapshots(ptrs)
	var problems []string
	for _, s := range invalid {
		problems = append(problems, fmt.Sprintf("ClusterResourceSnapshot %q has an invalid %s label %q; it is left out",
			s.Name, placementv1beta1.ResourceIndexLabel, s.Labels[placementv1beta1.ResourceIndexLabel]))
	}
	for _, g := range groups {
		if g.Master == nil {
			problems = append(problems, fmt.Sprintf("resource snapshot index %d has no master snapshot", g.Index))
		} else if want, ok := g.Expected(); ok && want != len(g.Subs)+1 {
			problems = append(problems, fmt.Sprintf("resource snapshot index %d has %d of its %d snapshots", g.Index, len(g.Subs)+1, want))
		}
	}
	return groups, problems
}

// findGroup returns the group with the given index.
func findGroup(groups []*resource.SnapshotGroup, index int) *resource.SnapshotGroup {
	for _, g := range groups {
		if g.Index == index {
			return g
		}
	}
	return nil
}
