package rollout

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// availability is what the rollout knows about the resources on one cluster.
type availability int

const (
	// unknown: the binding changed since anything was reported about it (the
	// scheduler renamed its policy snapshot, say) and no rollout of ours is
	// under way on it. The rollout neither counts on it being available nor
	// treats taking it down as free.
	unknown availability = iota
	// available: the resources are available on the cluster.
	available
	// unavailable: the resources are known not to be available (not yet
	// applied, failing, or waiting out unavailablePeriodSeconds). Updating or
	// removing such a cluster cannot lower availability further.
	unavailable
)

func (a availability) String() string {
	switch a {
	case available:
		return "available"
	case unavailable:
		return "unavailable"
	default:
		return "unknown"
	}
}

// availabilityOf judges one Bound or Unscheduled binding, and for a binding
// waiting out the unavailable period returns how long is left.
//
// A Bound binding is available when its Available condition is True at the
// binding's current generation: the work generator reports at that generation
// only after it has written the Works for the current spec, so a binding we
// just pointed at a new snapshot stays unavailable until the new version is
// available. When the condition's reason says some resources cannot be
// tracked, "available" only means "applied", so the binding counts as
// available once the condition has been True for the unavailable period
// (measured from its last transition: the work generator moves it away from
// True while new Works are applied). A Bound binding with no report at its
// generation is unavailable when RolloutStarted is True at that generation (a
// rollout is under way), and unknown otherwise.
//
// An Unscheduled binding keeps whatever the cluster had when the scheduler
// let it go (the state change alone bumps the generation but places nothing
// new), so its latest Available report stands, at whatever generation.
func availabilityOf(b *placementv1beta1.ClusterResourceBinding, period time.Duration, now time.Time) (availability, time.Duration) {
	cond := b.GetCondition(string(placementv1beta1.ResourceBindingAvailable))
	if b.Spec.State == placementv1beta1.BindingStateUnscheduled {
		if cond == nil || cond.Status != metav1.ConditionTrue {
			return unavailable, 0
		}
		return settled(cond, period, now)
	}
	if cond != nil && cond.ObservedGeneration == b.Generation {
		if cond.Status != metav1.ConditionTrue {
			return unavailable, 0
		}
		return settled(cond, period, now)
	}
	if started := b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted)); started != nil &&
		started.Status == metav1.ConditionTrue && started.ObservedGeneration == b.Generation {
		return unavailable, 0
	}
	return unknown, 0
}

// settled applies the unavailable period to an Available condition that is True.
func settled(cond *metav1.Condition, period time.Duration, now time.Time) (availability, time.Duration) {
	if cond.Reason != placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason {
		return available, 0
	}
	if left := cond.LastTransitionTime.Add(period).Sub(now); left > 0 {
		return unavailable, left
	}
	return available, 0
}

// placed reports whether a binding may have put resources on its cluster: a
// Bound one always, an Unscheduled one unless it was only ever Scheduled.
func placed(b *placementv1beta1.ClusterResourceBinding) bool {
	switch b.Spec.State {
	case placementv1beta1.BindingStateBound:
		return true
	case placementv1beta1.BindingStateUnscheduled:
		switch placementv1beta1.BindingState(b.Annotations[placementv1beta1.PreviousBindingStateAnnotation]) {
		case placementv1beta1.BindingStateBound:
			return true
		case placementv1beta1.BindingStateScheduled:
			return false
		}
		return b.Spec.ResourceSnapshotName != ""
	default:
		return false
	}
}
