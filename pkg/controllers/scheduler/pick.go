package scheduler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

const (
	// maxUnselectedDecisions is the most not-picked clusters a PickN policy
	// snapshot reports, the most telling first. A PickFixed policy reports
	// every named cluster it could not pick (at most 100 are named).
	maxUnselectedDecisions = 20
	// maxNamesInMessage is the most cluster names a condition message lists.
	maxNamesInMessage = 10

	// pickedReason is the decision reason of a picked cluster, worded as in
	// KubeFleet; the placement shows it in each cluster's Scheduled message.
	pickedReason = "picked by scheduling policy"
)

// scheduleInput is everything one scheduling pass decides from.
type scheduleInput struct {
	// policy is the latest policy snapshot's policy; nil means PickAll.
	policy *placementv1beta1.PlacementPolicy
	// snapshotName is the latest policy snapshot's name.
	snapshotName string
	// numberOfClusters is how many clusters a PickN policy asks for.
	numberOfClusters int
	// clusters are all MemberClusters.
	clusters []clusterv1beta1.MemberCluster
	// bindings are all bindings of the placement.
	bindings []placementv1beta1.ClusterResourceBinding
}

// schedulePlan is what a scheduling pass must write.
type schedulePlan struct {
	// create holds the decisions of picked clusters that need a new binding.
	create []placementv1beta1.ClusterDecision
	// update holds bindings to change: unschedules first, then the rest, each by name.
	update []bindingUpdate
	// release holds bindings being deleted that still carry the scheduler's finalizer.
	release []*placementv1beta1.ClusterResourceBinding
	// deleteDuplicates holds Scheduled bindings for a cluster that already has
	// a better binding; they hold nothing on the cluster and can go.
	deleteDuplicates []*placementv1beta1.ClusterResourceBinding
	// keepDuplicates holds Bound or Unscheduled extra bindings of a cluster;
	// they may hold Works shared with the kept binding, so they are only reported.
	keepDuplicates []*placementv1beta1.ClusterResourceBinding

	// decisions are reported in the policy snapshot's status, sorted by cluster name.
	decisions []placementv1beta1.ClusterDecision
	// fulfilled is true when the policy got every cluster it asks for.
	fulfilled bool
	// message explains the outcome for the Scheduled condition.
	message string
}

// placementType returns the policy's placement type, PickAll by default.
func placementType(policy *placementv1beta1.PlacementPolicy) placementv1beta1.PlacementType {
	if policy == nil || policy.PlacementType == "" {
		return placementv1beta1.PickAllPlacementType
	}
	return policy.PlacementType
}

// schedule decides which clusters the policy picks and how the bindings must
// change. It is deterministic: the same input gives the same plan.
func schedule(in scheduleInput) schedulePlan {
	var p schedulePlan
	held := p.sortBindings(in.bindings)
	cands := evaluate(in, held)

	var selected, unselected []placementv1beta1.ClusterDecision
	switch placementType(in.policy) {
	case placementv1beta1.PickFixedPlacementType:
		selected, unselected = p.pickFixed(in, cands)
	case placementv1beta1.PickNPlacementType:
		selected, unselected = p.pickN(in, cands)
		unselected = unselected[:min(len(unselected), maxUnselectedDecisions)]
	default:
		selected = p.pickAll(in, cands)
	}
	p.planBindings(in.snapshotName, selected, cands)
	p.decisions = boundDecisions(selected, unselected)
	if in.policy != nil && len(in.policy.TopologySpreadConstraints) > 0 {
		p.message += "; topologySpreadConstraints are not supported yet and were not applied"
	}
	if len(p.keepDuplicates) > 0 {
		p.message += fmt.Sprintf("; duplicate bindings need attention: %s", strings.Join(bindingNames(p.keepDuplicates), ", "))
	}
	return p
}

// selectedDecision is the decision of a picked cluster. A cluster kept from
// an earlier pick that would not be picked anew says why.
func selectedDecision(c *candidate, score *placementv1beta1.ClusterScore) placementv1beta1.ClusterDecision {
	reason := pickedReason
	if c.pickProblem != "" {
		reason = pickedReason + " earlier, kept though not eligible for new picks: " + c.pickProblem
	}
	return placementv1beta1.ClusterDecision{ClusterName: c.name, Selected: true, ClusterScore: score, Reason: reason}
}

func affinityScoreOf(score int32) *placementv1beta1.ClusterScore {
	return &placementv1beta1.ClusterScore{AffinityScore: &score}
}

// sortedCandidates returns the candidates ordered by cluster name.
func sortedCandidates(cands map[string]*candidate) []*candidate {
	out := make([]*candidate, 0, len(cands))
	for _, name := range slices.Sorted(maps.Keys(cands)) {
		out = append(out, cands[name])
	}
	return out
}

// pickAll picks every cluster that passes the filters, plus the clusters
// that keep an earlier pick.
func (p *schedulePlan) pickAll(in scheduleInput, cands map[string]*candidate) []placementv1beta1.ClusterDecision {
	var selected []placementv1beta1.ClusterDecision
	for _, c := range sortedCandidates(cands) {
		if c.pickProblem == "" || c.keeps(in.snapshotName) {
			selected = append(selected, selectedDecision(c, nil))
		}
	}
	p.fulfilled = true
	p.message = fmt.Sprintf("Picked %s matching the scheduling policy", memberClusters(len(selected)))
	return selected
}

// pickN keeps up to N clusters picked earlier (dropping Scheduled before
// Bound, the lowest scores first) and fills up with the best scoring
// eligible clusters, ties broken by name.
func (p *schedulePlan) pickN(in scheduleInput, cands map[string]*candidate) (selected, unselected []placementv1beta1.ClusterDecision) {
	n := max(in.numberOfClusters, 0)
	var kept, eligible, filtered []*candidate
	var scored []*clusterv1beta1.MemberCluster
	for _, c := range sortedCandidates(cands) {
		switch {
		case c.cluster == nil:
			continue // known only from its binding, which is unscheduled below
		case c.keeps(in.snapshotName):
			kept = append(kept, c)
		case c.pickProblem == "":
			eligible = append(eligible, c)
		default:
			filtered = append(filtered, c)
			continue
		}
		scored = append(scored, c.cluster)
	}
	var preferred []placementv1beta1.PreferredClusterSelector
	if ca := clusterAffinity(in.policy); ca != nil {
		preferred = ca.PreferredDuringSchedulingIgnoredDuringExecution
	}
	ranges := propertyRanges(preferred, scored)
	for _, c := range append(slices.Clone(kept), eligible...) {
		c.score = affinityScore(preferred, c.cluster, ranges)
	}

	bestFirst := func(a, b *candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	}
	// Bound bindings are dropped last: Bound before Scheduled, best first.
	slices.SortFunc(kept, func(a, b *candidate) int {
		aBound := a.held.Spec.State == placementv1beta1.BindingStateBound
		bBound := b.held.Spec.State == placementv1beta1.BindingStateBound
		if aBound != bBound {
			if aBound {
				return -1
			}
			return 1
		}
		return bestFirst(a, b)
	})
	slices.SortFunc(eligible, bestFirst)

	var picked, dropped, passed []*candidate
	if len(kept) > n {
		picked, dropped, passed = kept[:n], kept[n:], eligible
	} else {
		fill := min(n-len(kept), len(eligible))
		picked, passed = append(kept, eligible[:fill]...), eligible[fill:]
	}

	for _, c := range picked {
		selected = append(selected, selectedDecision(c, affinityScoreOf(c.score)))
	}
	for _, c := range dropped {
		unselected = append(unselected, placementv1beta1.ClusterDecision{
			ClusterName: c.name, ClusterScore: affinityScoreOf(c.score),
			Reason: fmt.Sprintf("unscheduled: the policy asks for %d clusters and this %s pick has a lower priority (affinity score %d)", n, c.held.Spec.State, c.score),
		})
	}
	for _, c := range passed {
		unselected = append(unselected, placementv1beta1.ClusterDecision{
			ClusterName: c.name, ClusterScore: affinityScoreOf(c.score),
			Reason: fmt.Sprintf("not picked: eligible with affinity score %d, but the policy's %d clusters are taken by earlier picks or higher scores", c.score, n),
		})
	}
	for _, c := range filtered {
		unselected = append(unselected, placementv1beta1.ClusterDecision{ClusterName: c.name, Reason: "not picked: " + c.pickProblem})
	}

	p.fulfilled = len(picked) == n
	switch {
	case p.fulfilled:
		p.message = fmt.Sprintf("Picked %s, as many as the policy asks for", memberClusters(n))
	case len(filtered) == 0:
		p.message = fmt.Sprintf("Picked %d of the %s the policy asks for: no other member cluster exists", len(picked), memberClusters(n))
	default:
		p.message = fmt.Sprintf("Picked %d of the %s the policy asks for; %s cannot be picked (%s)",
			len(picked), memberClusters(n), otherClusters(len(filtered)), summarizeProblems(filtered))
	}
	return selected, unselected
}

// pickFixed picks the named clusters that are ready, or keep an earlier pick.
func (p *schedulePlan) pickFixed(in scheduleInput, cands map[string]*candidate) (selected, unselected []placementv1beta1.ClusterDecision) {
	names := slices.Clone(in.policy.ClusterNames)
	slices.Sort(names)
	names = slices.Compact(names)
	var missing []string
	for _, name := range names {
		c := cands[name]
		if c.pickProblem == "" || c.keeps(in.snapshotName) {
			selected = append(selected, selectedDecision(c, nil))
			continue
		}
		unselected = append(unselected, placementv1beta1.ClusterDecision{ClusterName: name, Reason: "not picked: " + c.pickProblem})
		missing = append(missing, fmt.Sprintf("%s (%s)", name, c.pickProblem))
	}
	p.fulfilled = len(missing) == 0
	if p.fulfilled {
		p.message = fmt.Sprintf("Picked the %s named by the policy", memberClusters(len(names)))
	} else {
		p.message = fmt.Sprintf("Picked %d of the %s named by the policy; not picked: %s",
			len(selected), memberClusters(len(names)), truncatedList(missing))
	}
	return selected, unselected
}

// memberClusters writes "1 member cluster" or "<n> member clusters".
func memberClusters(n int) string {
	if n == 1 {
		return "1 member cluster"
	}
	return fmt.Sprintf("%d member clusters", n)
}

// otherClusters writes "1 other cluster" or "<n> other clusters".
func otherClusters(n int) string {
	if n == 1 {
		return "1 other cluster"
	}
	return fmt.Sprintf("%d other clusters", n)
}

// summarizeProblems groups the clusters by why they cannot be picked, e.g.
// "not joined: a, b; untolerated taint: c", naming up to a few per group.
func summarizeProblems(cands []*candidate) string {
	byKind := map[string][]string{}
	for _, c := range cands {
		kind := problemKind(c.pickProblem)
		byKind[kind] = append(byKind[kind], c.name)
	}
	parts := make([]string, 0, len(byKind))
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		parts = append(parts, fmt.Sprintf("%s: %s", kind, truncatedList(byKind[kind])))
	}
	return strings.Join(parts, "; ")
}

// problemKind shortens a problem to its kind, leaving out the details.
func problemKind(problem string) string {
	switch {
	case strings.HasPrefix(problem, "cluster has the taint"):
		return "untolerated taint"
	case strings.HasPrefix(problem, "cluster does not match the required cluster affinity"):
		return "required affinity not matched"
	case strings.HasPrefix(problem, "cluster has not joined"):
		return "not joined"
	case strings.HasPrefix(problem, "cluster is not healthy"):
		return "not healthy"
	default:
		return strings.TrimPrefix(problem, "cluster ")
	}
}

// truncatedList joins up to maxNamesInMessage items and says how many more there are.
func truncatedList(items []string) string {
	if len(items) <= maxNamesInMessage {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxNamesInMessage], ", "), len(items)-maxNamesInMessage)
}
