package scheduler

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// maxDecisions is the most decisions a policy snapshot's status can hold.
const maxDecisions = 1000

// bindingUpdate is an existing binding and what it should become.
type bindingUpdate struct {
	current, desired *placementv1beta1.ClusterResourceBinding
}

// sortBindings sorts the placement's bindings into the one binding kept per
// cluster (returned by cluster name), bindings being deleted and duplicates.
func (p *schedulePlan) sortBindings(bindings []placementv1beta1.ClusterResourceBinding) map[string]*placementv1beta1.ClusterResourceBinding {
	byCluster := map[string][]*placementv1beta1.ClusterResourceBinding{}
	for i := range bindings {
		b := &bindings[i]
		if !b.DeletionTimestamp.IsZero() {
			if controllerutil.ContainsFinalizer(b, placementv1beta1.SchedulerBindingCleanupFinalizer) {
				p.release = append(p.release, b)
			}
			continue
		}
		byCluster[b.Spec.TargetCluster] = append(byCluster[b.Spec.TargetCluster], b)
	}
	slices.SortFunc(p.release, byName)

	held := make(map[string]*placementv1beta1.ClusterResourceBinding, len(byCluster))
	for _, cluster := range slices.Sorted(maps.Keys(byCluster)) {
		group := byCluster[cluster]
		slices.SortFunc(group, keeperOrder)
		held[cluster] = group[0]
		for _, extra := range group[1:] {
			if extra.Spec.State == placementv1beta1.BindingStateScheduled {
				p.deleteDuplicates = append(p.deleteDuplicates, extra)
			} else {
				p.keepDuplicates = append(p.keepDuplicates, extra)
			}
		}
	}
	return held
}

// keeperOrder puts first the binding to keep among several for one cluster:
// the one furthest along (Bound, Scheduled, Unscheduled), then the oldest.
func keeperOrder(a, b *placementv1beta1.ClusterResourceBinding) int {
	rank := func(s placementv1beta1.BindingState) int {
		switch s {
		case placementv1beta1.BindingStateBound:
			return 0
		case placementv1beta1.BindingStateScheduled:
			return 1
		default:
			return 2
		}
	}
	if c := cmp.Compare(rank(a.Spec.State), rank(b.Spec.State)); c != 0 {
		return c
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

func byName(a, b *placementv1beta1.ClusterResourceBinding) int {
	return strings.Compare(a.Name, b.Name)
}

func bindingNames(bs []*placementv1beta1.ClusterResourceBinding) []string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	return names
}

// planBindings turns the picks into binding changes: picked clusters get a
// binding (a new one, or their existing one brought up to the latest
// snapshot, or their Unscheduled one moved back to its previous state), and
// Scheduled or Bound bindings of clusters no longer picked become Unscheduled.
func (p *schedulePlan) planBindings(snapshotName string, selected []placementv1beta1.ClusterDecision, cands map[string]*candidate) {
	picked := map[string]bool{}
	var unschedules, others []bindingUpdate
	for _, d := range selected {
		picked[d.ClusterName] = true
		current := cands[d.ClusterName].held
		if current == nil {
			p.create = append(p.create, d)
			continue
		}
		desired := current.DeepCopy()
		if desired.Spec.State == placementv1beta1.BindingStateUnscheduled {
			desired.Spec.State = placementv1beta1.BindingStateScheduled
			if current.Annotations[placementv1beta1.PreviousBindingStateAnnotation] == string(placementv1beta1.BindingStateBound) {
				desired.Spec.State = placementv1beta1.BindingStateBound
			}
			delete(desired.Annotations, placementv1beta1.PreviousBindingStateAnnotation)
		}
		desired.Spec.SchedulingPolicySnapshotName = snapshotName
		desired.Spec.ClusterDecision = d
		controllerutil.AddFinalizer(desired, placementv1beta1.SchedulerBindingCleanupFinalizer)
		if !equality.Semantic.DeepEqual(current, desired) {
			others = append(others, bindingUpdate{current: current, desired: desired})
		}
	}
	for _, c := range sortedCandidates(cands) {
		if picked[c.name] || !c.holds() {
			continue
		}
		desired := c.held.DeepCopy()
		desired.Spec.State = placementv1beta1.BindingStateUnscheduled
		if desired.Annotations == nil {
			desired.Annotations = map[string]string{}
		}
		desired.Annotations[placementv1beta1.PreviousBindingStateAnnotation] = string(c.held.Spec.State)
		unschedules = append(unschedules, bindingUpdate{current: c.held, desired: desired})
	}
	// Unscheduling first keeps a PickN placement from briefly exceeding N.
	slices.SortFunc(others, func(a, b bindingUpdate) int {
		return strings.Compare(a.current.Spec.TargetCluster, b.current.Spec.TargetCluster)
	})
	p.update = append(unschedules, others...)
	slices.SortFunc(p.create, func(a, b placementv1beta1.ClusterDecision) int { return strings.Compare(a.ClusterName, b.ClusterName) })
}

// boundDecisions merges the decisions for the snapshot status: every picked
// cluster, then the not-picked ones, up to the API limit and sorted by
// cluster name.
func boundDecisions(selected, unselected []placementv1beta1.ClusterDecision) []placementv1beta1.ClusterDecision {
	if len(selected)+len(unselected) == 0 {
		return nil
	}
	out := slices.Clone(selected[:min(len(selected), maxDecisions)])
	room := min(maxDecisions-len(out), len(unselected))
	out = append(out, unselected[:room]...)
	slices.SortFunc(out, func(a, b placementv1beta1.ClusterDecision) int { return strings.Compare(a.ClusterName, b.ClusterName) })
	return out
}
