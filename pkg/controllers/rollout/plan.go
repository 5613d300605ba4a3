package rollout

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// action is what one pass of the rollout does to a binding.
type action string

const (
	// actionBind moves a Scheduled binding to Bound on the target snapshot.
	actionBind action = "Bind"
	// actionUpdate points a Bound binding at the target snapshot and the
	// placement's apply strategy.
	actionUpdate action = "Update"
	// actionDelete deletes an Unscheduled binding; its finalizers let the
	// work generator remove the resources from the cluster first.
	actionDelete action = "Delete"
	// actionMarkStarted writes RolloutStarted True on a Bound binding whose
	// spec is already what the rollout wants but whose condition is not
	// current at its generation (the work generator waits for it).
	actionMarkStarted action = "MarkStarted"
	// actionHold writes RolloutStarted False (RolloutNotStartedYet) with the
	// reason the rollout holds the binding back.
	actionHold action = "Hold"
)

// step is one write the rollout makes to one binding.
type step struct {
	binding *placementv1beta1.ClusterResourceBinding
	action  action
	// message says why a Hold holds.
	message string
}

// plan is what one pass of the rollout does: the steps in the order to carry
// them out (Unscheduled bindings first, then Bound, then Scheduled ones, each
// group by cluster name) and, when the rollout is held back while a binding
// waits out the unavailable period, how long until that wait is over.
type plan struct {
	steps        []step
	requeueAfter time.Duration
}

// computePlan decides what one pass of a RollingUpdate rollout does to a
// placement's bindings, given the placement's strategy, the master resource
// snapshot to roll out (target, "" when there is none yet) and the time. It
// is deterministic: bindings are considered in the order of their cluster
// names.
//
// The rules follow a Deployment's rolling update, with clusters for pods:
//
//   - The target count T is the number of Scheduled and Bound bindings not
//     being deleted: the clusters the scheduler currently picks.
//     Percentages of maxUnavailable and maxSurge are taken of T (see
//     resolveLimits).
//   - Availability floor: at least T - maxUnavailable clusters stay
//     available. Every move that takes an available (or unknown) cluster out
//     of service spends one unit of the budget "available clusters - floor":
//     updating a Bound binding in place to the target snapshot or apply
//     strategy, and deleting an Unscheduled binding. Moves on clusters that
//     are known to be unavailable are free, as they cannot lower
//     availability (a Deployment likewise scales unhealthy old pods down
//     first); this is also how a fix reaches a cluster a bad version broke.
//     Deletions come before in-place updates, as they also make room for
//     new clusters.
//   - Surge ceiling: at most T + maxSurge clusters hold or are getting the
//     resources (Bound bindings, Unscheduled ones that placed something, and
//     bindings being deleted that placed something). Binding a Scheduled
//     binding takes one place. When nothing is being removed the clusters in
//     use never exceed T, so every Scheduled binding is bound at once:
//     adding a cluster makes no other cluster unavailable. When Unscheduled
//     bindings are still there, each new cluster is a replacement, and
//     maxSurge is how many replacements may run next to the clusters they
//     replace; the Unscheduled ones then go as the availability floor allows,
//     that is once enough replacements are available.
//   - A Scheduled binding for a cluster that still has an Unscheduled (or
//     deleting) binding waits for that one to be gone, so two bindings never
//     place on the same cluster at once.
//
// A new binding is unavailable until it reports Available at its new
// generation (see availabilityOf), so the next moves wait for it.
//
// RolloutStarted tells the work generator and the placement status where a
// binding stands: True at the binding's generation once it is bound to the
// target (also written on a Bound, up-to-date binding whose condition is not
// current, for example after the scheduler changed its spec), False with
// reason RolloutNotStartedYet and the limit in the message while the
// strategy holds a Scheduled or an out-of-date Bound binding back. The
// messages name limits rather than counts, so they do not change, and need
// no write, at every step of a rollout.
func computePlan(strategy placementv1beta1.RolloutStrategy, target string, bindings []*placementv1beta1.ClusterResourceBinding, now time.Time) (plan, error) {
	if strategy.Type == placementv1beta1.ExternalRolloutStrategyType || target == "" {
		return plan{}, nil
	}

	sorted := slices.Clone(bindings)
	slices.SortFunc(sorted, func(a, b *placementv1beta1.ClusterResourceBinding) int {
		return cmp.Or(cmp.Compare(a.Spec.TargetCluster, b.Spec.TargetCluster), cmp.Compare(a.Name, b.Name))
	})

	var scheduled, bound, unscheduled []*placementv1beta1.ClusterResourceBinding
	inUse := 0                     // clusters holding or getting the resources
	leaving := map[string]string{} // cluster -> a binding that is on its way out
	for _, b := range sorted {
		if !b.DeletionTimestamp.IsZero() {
			if placed(b) {
				inUse++
			}
			leaving[b.Spec.TargetCluster] = b.Name
			continue
		}
		switch b.Spec.State {
		case placementv1beta1.BindingStateScheduled:
			scheduled = append(scheduled, b)
		case placementv1beta1.BindingStateBound:
			bound = append(bound, b)
			inUse++
		case placementv1beta1.BindingStateUnscheduled:
			unscheduled = append(unscheduled, b)
			if placed(b) {
				inUse++
			}
			leaving[b.Spec.TargetCluster] = b.Name
		}
	}

	lim, err := resolveLimits(strategy.RollingUpdate, len(scheduled)+len(bound))
	if err != nil {
		return plan{}, err
	}

	state := map[*placementv1beta1.ClusterResourceBinding]availability{}
	availableCount := 0
	var wait time.Duration // the shortest unavailable-period wait left
	for _, b := range slices.Concat(bound, unscheduled) {
		if !placed(b) {
			continue
		}
		a, left := availabilityOf(b, lim.unavailablePeriod, now)
		state[b] = a
		if a == available {
			availableCount++
		}
		if left > 0 && (wait == 0 || left < wait) {
			wait = left
		}
	}
	floor := max(lim.target-lim.maxUnavailable, 0)
	budget := availableCount - floor

	var p plan
	blocked := false

	// Unscheduled clusters go first: the scheduler no longer wants them.
	for _, b := range unscheduled {
		switch {
		case !placed(b) || state[b] == unavailable:
			p.steps = append(p.steps, step{binding: b, action: actionDelete})
		case budget > 0:
			budget--
			p.steps = append(p.steps, step{binding: b, action: actionDelete})
		default:
			blocked = true
		}
	}

	// Bound clusters on an older snapshot or apply strategy are updated in place.
	applyStrategy := strategy.ApplyStrategy
	for _, b := range bound {
		if b.Spec.ResourceSnapshotName == target && equality.Semantic.DeepEqual(b.Spec.ApplyStrategy, applyStrategy) {
			if c := b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted)); c == nil ||
				c.Status != metav1.ConditionTrue || c.ObservedGeneration != b.Generation {
				p.steps = append(p.steps, step{binding: b, action: actionMarkStarted})
			}
			continue
		}
		switch {
		case state[b] == unavailable:
			p.steps = append(p.steps, step{binding: b, action: actionUpdate})
		case budget > 0:
			budget--
			p.steps = append(p.steps, step{binding: b, action: actionUpdate})
		default:
			// RolloutStarted False at the binding's generation tells the
			// placement status that the strategy holds this cluster on its
			// current version, and lets the work generator keep serving it.
			blocked = true
			p.steps = append(p.steps, step{binding: b, action: actionHold, message: fmt.Sprintf(
				"Waiting for other clusters to become available: at most %d of the %d target clusters may be unavailable at once (maxUnavailable)",
				lim.maxUnavailable, lim.target)})
		}
	}

	// Scheduled clusters are added up to the surge ceiling.
	room := lim.target + lim.maxSurge - inUse
	for _, b := range scheduled {
		switch prev, ok := leaving[b.Spec.TargetCluster]; {
		case ok:
			blocked = true
			p.steps = append(p.steps, step{binding: b, action: actionHold, message: fmt.Sprintf(
				"Waiting for the previous binding %s of cluster %s to be removed", prev, b.Spec.TargetCluster)})
		case room > 0:
			room--
			p.steps = append(p.steps, step{binding: b, action: actionBind})
		default:
			blocked = true
			p.steps = append(p.steps, step{binding: b, action: actionHold, message: fmt.Sprintf(
				"Waiting for clusters that are being removed: at most %d clusters may hold the resources at once (%d target clusters + maxSurge %d)",
				lim.target+lim.maxSurge, lim.target, lim.maxSurge)})
		}
	}

	if blocked {
		p.requeueAfter = wait
	}
	return p, nil
}
