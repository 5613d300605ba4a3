package kubectlfleet

import (
	"fmt"
	"slices"
	"strconv"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// snapshotGroup is one version of what a placement selected: the
// ClusterResourceSnapshots sharing a resource index, a master and, past the
// size limit of one object, sub-snapshots.
type snapshotGroup struct {
	index  int
	master *placementv1beta1.ClusterResourceSnapshot
	// subs are the sub-snapshots, by sub-index.
	subs []*placementv1beta1.ClusterResourceSnapshot
}

// groupSnapshots sorts a placement's snapshots into groups by index, oldest
// first. Snapshots without a valid index are reported as problems and left out.
func groupSnapshots(snapshots []placementv1beta1.ClusterResourceSnapshot) ([]*snapshotGroup, []string) {
	byIndex := map[int]*snapshotGroup{}
	var problems []string
	for i := range snapshots {
		s := &snapshots[i]
		v := s.Labels[placementv1beta1.ResourceIndexLabel]
		index, err := strconv.Atoi(v)
		if err != nil || index < 0 {
			problems = append(problems, fmt.Sprintf("ClusterResourceSnapshot %q has an invalid %s label %q; it is left out", s.Name, placementv1beta1.ResourceIndexLabel, v))
			continue
		}
		g := byIndex[index]
		if g == nil {
			g = &snapshotGroup{index: index}
			byIndex[index] = g
		}
		if _, sub := s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation]; sub {
			g.subs = append(g.subs, s)
		} else {
			g.master = s
		}
	}
	groups := make([]*snapshotGroup, 0, len(byIndex))
	for _, g := range byIndex {
		slices.SortFunc(g.subs, func(a, b *placementv1beta1.ClusterResourceSnapshot) int { return subindex(a) - subindex(b) })
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *snapshotGroup) int { return a.index - b.index })
	for _, g := range groups {
		if g.master == nil {
			problems = append(problems, fmt.Sprintf("resource snapshot index %d has no master snapshot", g.index))
		} else if want, ok := g.expected(); ok && want != len(g.subs)+1 {
			problems = append(problems, fmt.Sprintf("resource snapshot index %d has %d of its %d snapshots", g.index, len(g.subs)+1, want))
		}
	}
	return groups, problems
}

func subindex(s *placementv1beta1.ClusterResourceSnapshot) int {
	i, _ := strconv.Atoi(s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation])
	return i
}

// expected is the number of snapshots the master says the group has.
func (g *snapshotGroup) expected() (int, bool) {
	if g.master == nil {
		return 0, false
	}
	n, err := strconv.Atoi(g.master.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation])
	return n, err == nil
}

// first is the master, or the first sub-snapshot when the master is missing.
func (g *snapshotGroup) first() *placementv1beta1.ClusterResourceSnapshot {
	if g.master != nil {
		return g.master
	}
	return g.subs[0]
}

// resources are the group's selected resources, master first, then each
// sub-snapshot in order.
func (g *snapshotGroup) resources() []placementv1beta1.ResourceContent {
	var out []placementv1beta1.ResourceContent
	if g.master != nil {
		out = append(out, g.master.Spec.SelectedResources...)
	}
	for _, s := range g.subs {
		out = append(out, s.Spec.SelectedResources...)
	}
	return out
}

// findGroup returns the group with the given index.
func findGroup(groups []*snapshotGroup, index int) *snapshotGroup {
	for _, g := range groups {
		if g.index == index {
			return g
		}
	}
	return nil
}
