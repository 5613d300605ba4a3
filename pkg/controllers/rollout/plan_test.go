package rollout

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// strategy returns a RollingUpdate strategy with the given limits.
func strategy(maxUnavailable, maxSurge intstr.IntOrString) placementv1beta1.RolloutStrategy {
	return placementv1beta1.RolloutStrategy{Type: placementv1beta1.RollingUpdateRolloutStrategyType, RollingUpdate: rollingUpdate(maxUnavailable, maxSurge)}
}

// summary renders a plan's steps as "<binding> <action>".
func summary(p plan) []string {
	var out []string
	for _, s := range p.steps {
		out = append(out, fmt.Sprintf("%s %s", s.binding.Name, s.action))
	}
	return out
}

func TestComputePlan(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	pct := intstr.FromString
	ssa := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply}

	tests := map[string]struct {
		strategy  placementv1beta1.RolloutStrategy
		target    string
		bindings  []*placementv1beta1.ClusterResourceBinding
		want      []string
		wantAfter time.Duration
	}{
		"External placement: nothing is bound, updated or deleted": {
			strategy: placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				scheduled("member-1"), scheduled("member-2"), boundOK("member-3", oldSnapshot), unscheduledOK("member-4"),
			},
		},
		"no resource snapshot yet: nothing is bound": {
			strategy: strategy(one, one),
			target:   "",
			bindings: []*placementv1beta1.ClusterResourceBinding{scheduled("member-1"), scheduled("member-2")},
		},
		"the default strategy (empty type, no rollingUpdate) is a rolling update": {
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{scheduled("member-1")},
			want:     []string{"crp-member-1 Bind"},
		},
		"new clusters with nothing to remove are all bound at once, even with maxSurge 0": {
			strategy: strategy(one, zero),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				scheduled("member-1"), scheduled("member-2"), scheduled("member-3"), scheduled("member-4"),
			},
			want: []string{"crp-member-1 Bind", "crp-member-2 Bind", "crp-member-3 Bind", "crp-member-4 Bind"},
		},
		"scaling out next to settled clusters binds every new cluster": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), scheduled("member-3"), scheduled("member-4"),
			},
			want: []string{"crp-member-3 Bind", "crp-member-4 Bind"},
		},
		"replacing a cluster with maxSurge 1 and maxUnavailable 0: the new one is bound, the old one stays": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4"), scheduled("member-5"),
			},
			want: []string{"crp-member-5 Bind"},
		},
		"replacing a cluster with maxUnavailable 0: the old one goes once the replacement is available": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4"), boundOK("member-5", newSnapshot),
			},
			want: []string{"crp-member-4 Delete"},
		},
		"replacing a cluster with maxUnavailable 0: the old one stays while the replacement is not available": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4"), makeBinding("member-5", placementv1beta1.BindingStateBound, newSnapshot, started()),
			},
		},
		"replacing a cluster with maxSurge 0: the old one goes first, the new one waits for room": {
			strategy: strategy(one, zero),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4"), scheduled("member-5"),
			},
			want: []string{"crp-member-4 Delete", "crp-member-5 Hold"},
		},
		"a binding being deleted still takes room under maxSurge and is left alone": {
			strategy: strategy(one, zero),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4", deleting()), scheduled("member-5"), scheduled("member-6"),
			},
			// 5 target clusters, 4 in use counting the one being deleted: room for one.
			want: []string{"crp-member-5 Bind", "crp-member-6 Hold"},
		},
		"Unscheduled clusters are deleted as far as the availability floor allows": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot),
				makeBinding("member-3", placementv1beta1.BindingStateBound, newSnapshot, started()),
				makeBinding("member-4", placementv1beta1.BindingStateBound, newSnapshot, started()),
				unscheduledOK("member-5"), unscheduledOK("member-6"),
			},
			want: []string{"crp-member-5 Delete"},
		},
		"scaling in: every Unscheduled cluster goes when the rest stays available": {
			target: newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), unscheduledOK("member-3"), unscheduledOK("member-4"),
			},
			want: []string{"crp-member-3 Delete", "crp-member-4 Delete"},
		},
		"an Unscheduled cluster that never got resources is deleted without spending the budget": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot),
				makeBinding("member-3", placementv1beta1.BindingStateUnscheduled, "", previously(placementv1beta1.BindingStateScheduled)),
			},
			want: []string{"crp-member-3 Delete"},
		},
		"an Unscheduled cluster whose resources are not available is deleted without spending the budget": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot),
				unscheduledOK("member-3", notAvailableNow()),
			},
			want: []string{"crp-member-3 Delete"},
		},
		"a new snapshot with maxUnavailable 1: one available cluster moves, in cluster-name order": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-4", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-1", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"a new snapshot with maxUnavailable 1: the next waits while the moved one is not available at its new generation": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				// Available from the old snapshot, reported at generation 2.
				boundOK("member-1", newSnapshot, generation(3), started()),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"a new snapshot with maxUnavailable 1: the next moves once the moved one is available at its new generation": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, generation(3), started(), availableNow()),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-2 Update", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"maxUnavailable 50% of 4 clusters moves two at a time": {
			strategy: strategy(pct("50%"), pct("25%")),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Update", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"maxUnavailable 30% of 4 clusters rounds down to one": {
			strategy: strategy(pct("30%"), pct("25%")),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"maxUnavailable 10% of 4 clusters still moves one": {
			strategy: strategy(pct("10%"), pct("10%")),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"maxUnavailable and maxSurge both 0: one cluster moves at a time": {
			strategy: strategy(zero, pct("0%")),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Hold", "crp-member-3 Hold"},
		},
		"maxUnavailable 0: available clusters are not updated in place": {
			strategy: strategy(zero, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot),
			},
			want: []string{"crp-member-1 Hold", "crp-member-2 Hold"},
		},
		"a stale cluster that is not available moves at once; the floor is already reached": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot),
				boundOK("member-4", oldSnapshot, notAvailableNow()),
			},
			want: []string{"crp-member-1 Hold", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Update"},
		},
		"a stale cluster nothing was reported about since its generation moved is held like the others": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				// Started and available at generation 2, now at 3 (the scheduler renamed its policy snapshot).
				boundOK("member-1", oldSnapshot, generation(3)),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-1 Hold", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"a stale cluster of unknown state spends the budget when there is some": {
			strategy: strategy(pct("50%"), one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", oldSnapshot, generation(3)),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-1 Update", "crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"an older apply strategy is rolled out like an older snapshot": {
			strategy: placementv1beta1.RolloutStrategy{RollingUpdate: rollingUpdate(one, one), ApplyStrategy: ssa},
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot, withApplyStrategy(ssa.DeepCopy())),
			},
			want: []string{"crp-member-1 Update"},
		},
		"an up-to-date binding whose RolloutStarted is not current at its generation is marked started": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, generation(3)),
				boundOK("member-2", newSnapshot, condition(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionFalse,
					placementv1beta1.BindingRolloutNotStartedYetReason, 2, testNow)),
				boundOK("member-3", newSnapshot),
			},
			want: []string{"crp-member-1 MarkStarted", "crp-member-2 MarkStarted"},
		},
		"a cluster picked again waits for its old Unscheduled binding to go": {
			strategy: strategy(one, one),
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), boundOK("member-2", newSnapshot), boundOK("member-3", newSnapshot),
				unscheduledOK("member-4"), scheduled("member-4", named("crp-member-4-new")),
			},
			want: []string{"crp-member-4 Delete", "crp-member-4-new Hold"},
		},
		"untrackable resources count as available only after the unavailable period; the rollout asks to be woken then": {
			strategy: placementv1beta1.RolloutStrategy{RollingUpdate: &placementv1beta1.RollingUpdateConfig{
				MaxUnavailable: &one, MaxSurge: &one, UnavailablePeriodSeconds: ptr.To(60)}},
			target: newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, untrackableSince(20*time.Second)),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want:      []string{"crp-member-2 Hold", "crp-member-3 Hold", "crp-member-4 Hold"},
			wantAfter: 40 * time.Second,
		},
		"untrackable resources count as available once the unavailable period is over": {
			strategy: placementv1beta1.RolloutStrategy{RollingUpdate: &placementv1beta1.RollingUpdateConfig{
				MaxUnavailable: &one, MaxSurge: &one, UnavailablePeriodSeconds: ptr.To(60)}},
			target: newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, untrackableSince(60*time.Second)),
				boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
			},
			want: []string{"crp-member-2 Update", "crp-member-3 Hold", "crp-member-4 Hold"},
		},
		"an unavailable period with nothing waiting on it sets no timer": {
			target: newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, untrackableSince(20*time.Second)), boundOK("member-2", newSnapshot),
			},
		},
		"a Scheduled binding being deleted is left alone": {
			target:   newSnapshot,
			bindings: []*placementv1beta1.ClusterResourceBinding{scheduled("member-1", deleting())},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := make([]*placementv1beta1.ClusterResourceBinding, len(tc.bindings))
			for i, b := range tc.bindings {
				before[i] = b.DeepCopy()
			}
			got, err := computePlan(tc.strategy, tc.target, tc.bindings, testNow)
			if err != nil {
				t.Fatalf("computePlan() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("computePlan() steps (-want,+got):\n%s", diff)
			}
			if got.requeueAfter != tc.wantAfter {
				t.Errorf("computePlan() requeueAfter = %v, want %v", got.requeueAfter, tc.wantAfter)
			}
			if diff := cmp.Diff(before, tc.bindings); diff != "" {
				t.Errorf("computePlan() changed its input (-before,+after):\n%s", diff)
			}
		})
	}
}

func TestComputePlanHoldMessages(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	tests := map[string]struct {
		strategy placementv1beta1.RolloutStrategy
		bindings []*placementv1beta1.ClusterResourceBinding
		want     map[string]string
	}{
		"a new cluster held by maxSurge": {
			strategy: strategy(one, zero),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), unscheduledOK("member-2", notAvailableNow()), scheduled("member-3"),
			},
			want: map[string]string{
				"crp-member-3": "Waiting for clusters that are being removed: at most 2 clusters may hold the resources at once (2 target clusters + maxSurge 0)",
			},
		},
		"a cluster picked again": {
			strategy: strategy(zero, one),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot), unscheduledOK("member-2"), scheduled("member-2", named("crp-member-2-new")),
			},
			want: map[string]string{
				"crp-member-2-new": "Waiting for the previous binding crp-member-2 of cluster member-2 to be removed",
			},
		},
		"a stale cluster held by maxUnavailable": {
			strategy: strategy(one, one),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				boundOK("member-1", newSnapshot, generation(3), started()), boundOK("member-2", oldSnapshot),
			},
			want: map[string]string{
				"crp-member-2": "Waiting for other clusters to become available: at most 1 of the 2 target clusters may be unavailable at once (maxUnavailable)",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := computePlan(tc.strategy, newSnapshot, tc.bindings, testNow)
			if err != nil {
				t.Fatalf("computePlan() error = %v", err)
			}
			got := map[string]string{}
			for _, s := range p.steps {
				if s.action == actionHold {
					got[s.binding.Name] = s.message
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("hold messages (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestComputePlanRollsOutStepByStep replays a whole rollout: four clusters on
// the old snapshot, maxUnavailable 1, every moved cluster becoming available
// only after a pass has seen it unavailable. No pass may move a second
// cluster while one is unavailable, and the waiting clusters are told why.
func TestComputePlanRollsOutStepByStep(t *testing.T) {
	one := intstr.FromInt32(1)
	bindings := []*placementv1beta1.ClusterResourceBinding{
		boundOK("member-1", oldSnapshot), boundOK("member-2", oldSnapshot), boundOK("member-3", oldSnapshot), boundOK("member-4", oldSnapshot),
	}
	// carryOut does what the API server would make of a plan's steps, and
	// returns the clusters it moved.
	carryOut := func(p plan) []string {
		var moved []string
		for _, s := range p.steps {
			i := slices.Index(bindings, s.binding)
			b := s.binding.DeepCopy()
			switch s.action {
			case actionUpdate:
				b.Spec.ResourceSnapshotName = newSnapshot
				b.Generation++
				started()(b)
				moved = append(moved, b.Spec.TargetCluster)
			case actionHold:
				b.SetConditions(rolloutNotStarted(b, s.message))
			default:
				t.Fatalf("unexpected step %s %s", b.Name, s.action)
			}
			bindings[i] = b
		}
		return moved
	}
	var order []string
	for pass := 0; pass < 10; pass++ {
		p, err := computePlan(strategy(one, one), newSnapshot, bindings, testNow)
		if err != nil {
			t.Fatalf("pass %d: computePlan() error = %v", pass, err)
		}
		moved := carryOut(p)
		if len(moved) == 0 {
			break
		}
		if len(moved) > 1 {
			t.Fatalf("pass %d moved %v, want one cluster at a time", pass, moved)
		}
		order = append(order, moved...)

		p, _ = computePlan(strategy(one, one), newSnapshot, bindings, testNow)
		if again := carryOut(p); len(again) != 0 {
			t.Fatalf("pass %d moved %v while %s is not available yet", pass, again, moved[0])
		}
		for _, b := range bindings {
			if b.Spec.ResourceSnapshotName == oldSnapshot && b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted)).Reason != placementv1beta1.BindingRolloutNotStartedYetReason {
				t.Errorf("pass %d: waiting cluster %s is not told it waits", pass, b.Spec.TargetCluster)
			}
		}
		availableNow()(bindings[slices.IndexFunc(bindings, func(b *placementv1beta1.ClusterResourceBinding) bool { return b.Spec.TargetCluster == moved[0] })])
	}
	if diff := cmp.Diff([]string{"member-1", "member-2", "member-3", "member-4"}, order); diff != "" {
		t.Errorf("rollout order (-want,+got):\n%s", diff)
	}
}
