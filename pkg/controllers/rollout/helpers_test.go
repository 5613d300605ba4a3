package rollout

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// The time every unit test runs at.
var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const (
	oldSnapshot = "crp-0-snapshot"
	newSnapshot = "crp-1-snapshot"
)

type bindingOption func(*placementv1beta1.ClusterResourceBinding)

// makeBinding returns the binding named crp-<cluster> at generation 2, with
// options applied in order (options about conditions read the generation).
func makeBinding(cluster string, state placementv1beta1.BindingState, snapshot string, opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
	b := &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:            "crp-" + cluster,
			UID:             types.UID("uid-crp-" + cluster),
			Generation:      2,
			ResourceVersion: "7",
			Labels:          map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"},
		},
		Spec: placementv1beta1.ResourceBindingSpec{State: state, ResourceSnapshotName: snapshot, TargetCluster: cluster},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

func scheduled(cluster string, opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
	return makeBinding(cluster, placementv1beta1.BindingStateScheduled, "", opts...)
}

// boundOK is a binding Bound on snapshot whose rollout started at its
// generation and whose resources are available there: a settled cluster.
func boundOK(cluster, snapshot string, opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
	return makeBinding(cluster, placementv1beta1.BindingStateBound, snapshot, append([]bindingOption{started(), availableNow()}, opts...)...)
}

// unscheduledOK is a binding of a cluster the scheduler let go that had the
// resources available.
func unscheduledOK(cluster string, opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
	return makeBinding(cluster, placementv1beta1.BindingStateUnscheduled, oldSnapshot,
		append([]bindingOption{previously(placementv1beta1.BindingStateBound), availableNow()}, opts...)...)
}

func named(name string) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.Name, b.UID = name, types.UID("uid-"+name) }
}

func generation(g int64) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.Generation = g }
}

func deleting() bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		b.DeletionTimestamp = &metav1.Time{Time: testNow}
		b.Finalizers = []string{placementv1beta1.WorkFinalizer}
	}
}

func previously(state placementv1beta1.BindingState) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		b.Annotations = map[string]string{placementv1beta1.PreviousBindingStateAnnotation: string(state)}
	}
}

func withApplyStrategy(s *placementv1beta1.ApplyStrategy) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.Spec.ApplyStrategy = s }
}

func condition(typ placementv1beta1.ResourceBindingConditionType, status metav1.ConditionStatus, reason string, gen int64, since time.Time) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		b.RemoveCondition(string(typ))
		b.SetConditions(metav1.Condition{Type: string(typ), Status: status, Reason: reason, ObservedGeneration: gen, LastTransitionTime: metav1.NewTime(since)})
	}
}

// started sets RolloutStarted True at the binding's generation.
func started() bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		condition(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason, b.Generation, testNow.Add(-time.Hour))(b)
	}
}

// availableNow sets Available True (all trackable) at the binding's generation.
func availableNow() bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		condition(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAvailableReason, b.Generation, testNow.Add(-time.Hour))(b)
	}
}

// notAvailableNow sets Available False at the binding's generation.
func notAvailableNow() bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		condition(placementv1beta1.ResourceBindingAvailable, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAvailableReason, b.Generation, testNow.Add(-time.Hour))(b)
	}
}

// untrackableSince sets Available True at the binding's generation with the
// untrackable reason, last transitioned ago before testNow.
func untrackableSince(ago time.Duration) bindingOption {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		condition(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason, b.Generation, testNow.Add(-ago))(b)
	}
}
