package resource

import (
	"cmp"
	"slices"
	"strconv"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// SnapshotGroup is one version of a placement's selected resources: the
// ClusterResourceSnapshots sharing a resource index, a master and, past
// MaxSnapshotBytes, sub-snapshots.
type SnapshotGroup struct {
	Index int
	// Master is the snapshot without a sub-index, which carries the hash and
	// the number of snapshots of the group; nil when it is missing.
	Master *placementv1beta1.ClusterResourceSnapshot
	// Subs are the sub-snapshots, by sub-index.
	Subs []*placementv1beta1.ClusterResourceSnapshot
}

// GroupSnapshots sorts a placement's snapshots into groups by resource
// index, oldest first. Snapshots without a valid resource-index label belong
// to no group; they are returned apart, for the caller to report.
func GroupSnapshots(snapshots []*placementv1beta1.ClusterResourceSnapshot) (groups []*SnapshotGroup, invalid []*placementv1beta1.ClusterResourceSnapshot) {
	byIndex := map[int]*SnapshotGroup{}
	for _, s := range snapshots {
		index, err := strconv.Atoi(s.Labels[placementv1beta1.ResourceIndexLabel])
		if err != nil || index < 0 {
			invalid = append(invalid, s)
			continue
		}
		g := byIndex[index]
		if g == nil {
			g = &SnapshotGroup{Index: index}
			byIndex[index] = g
		}
		if _, sub := s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation]; sub {
			g.Subs = append(g.Subs, s)
		} else {
			g.Master = s
		}
	}
	groups = make([]*SnapshotGroup, 0, len(byIndex))
	for _, g := range byIndex {
		slices.SortFunc(g.Subs, func(a, b *placementv1beta1.ClusterResourceSnapshot) int {
			return cmp.Compare(subindex(a), subindex(b))
		})
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *SnapshotGroup) int { return cmp.Compare(a.Index, b.Index) })
	return groups, invalid
}

func subindex(s *placementv1beta1.ClusterResourceSnapshot) int {
	i, _ := strconv.Atoi(s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation])
	return i
}

// Expected returns how many snapshots the master says the group has; false
// without a master or a valid annotation.
func (g *SnapshotGroup) Expected() (int, bool) {
	if g.Master == nil {
		return 0, false
	}
	n, err := strconv.Atoi(g.Master.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation])
	return n, err == nil
}

// Complete reports whether the master and every snapshot it announces exist.
func (g *SnapshotGroup) Complete() bool {
	n, ok := g.Expected()
	return ok && n == len(g.Subs)+1
}

// Snapshots returns the group's snapshots: the master (when there is one),
// then the sub-snapshots in order.
func (g *SnapshotGroup) Snapshots() []*placementv1beta1.ClusterResourceSnapshot {
	out := make([]*placementv1beta1.ClusterResourceSnapshot, 0, len(g.Subs)+1)
	if g.Master != nil {
		out = append(out, g.Master)
	}
	return append(out, g.Subs...)
}

// Resources returns the group's selected resources in the order they were
// split: the master's, then each sub-snapshot's.
func (g *SnapshotGroup) Resources() []placementv1beta1.ResourceContent {
	var out []placementv1beta1.ResourceContent
	for _, s := range g.Snapshots() {
		out = append(out, s.Spec.SelectedResources...)
	}
	return out
}
