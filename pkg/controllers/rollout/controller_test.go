package rollout

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestBindingChanged(t *testing.T) {
	base := boundOK("member-1", newSnapshot)
	tests := map[string]struct {
		change func(*placementv1beta1.ClusterResourceBinding)
		want   bool
	}{
		"nothing changed": {
			change: func(*placementv1beta1.ClusterResourceBinding) {},
			want:   false,
		},
		"the spec changed": {
			change: func(b *placementv1beta1.ClusterResourceBinding) { b.Generation++ },
			want:   true,
		},
		"deletion started": {
			change: func(b *placementv1beta1.ClusterResourceBinding) { deleting()(b) },
			want:   true,
		},
		"Available reported at a new generation": {
			change: func(b *placementv1beta1.ClusterResourceBinding) {
				b.GetCondition(string(placementv1beta1.ResourceBindingAvailable)).ObservedGeneration++
			},
			want: true,
		},
		"Available turned False": {
			change: notAvailableNow(),
			want:   true,
		},
		"RolloutStarted changed (our own write, which a waiting pass needs to see)": {
			change: condition(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionFalse, placementv1beta1.BindingRolloutNotStartedYetReason, 2, testNow),
			want:   true,
		},
		"only Applied changed": {
			change: condition(placementv1beta1.ResourceBindingApplied, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAppliedReason, 2, testNow),
			want:   false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			updated := base.DeepCopy()
			tc.change(updated)
			if got := bindingChanged.Update(event.UpdateEvent{ObjectOld: base, ObjectNew: updated}); got != tc.want {
				t.Errorf("bindingChanged.Update() = %v, want %v", got, tc.want)
			}
		})
	}
}
