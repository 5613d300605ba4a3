package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestAvailabilityOf(t *testing.T) {
	type result struct {
		Availability string
		Left         time.Duration
	}
	bound := func(opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
		return makeBinding("member-1", placementv1beta1.BindingStateBound, newSnapshot, opts...)
	}
	unscheduled := func(opts ...bindingOption) *placementv1beta1.ClusterResourceBinding {
		return makeBinding("member-1", placementv1beta1.BindingStateUnscheduled, oldSnapshot, opts...)
	}
	tests := map[string]struct {
		binding *placementv1beta1.ClusterResourceBinding
		want    result
	}{
		"Bound, Available True at its generation": {
			binding: bound(started(), availableNow()),
			want:    result{"available", 0},
		},
		"Bound, Available False at its generation": {
			binding: bound(started(), notAvailableNow()),
			want:    result{"unavailable", 0},
		},
		"Bound, Available True at an older generation while a rollout started at the current one": {
			binding: bound(availableNow(), generation(3), started()),
			want:    result{"unavailable", 0},
		},
		"Bound, just bound: RolloutStarted and nothing else": {
			binding: bound(started()),
			want:    result{"unavailable", 0},
		},
		"Bound, every condition older than its generation": {
			binding: bound(started(), availableNow(), generation(3)),
			want:    result{"unknown", 0},
		},
		"Bound, no condition at all": {
			binding: bound(),
			want:    result{"unknown", 0},
		},
		"Bound, untrackable resources applied 10 s ago, 60 s period": {
			binding: bound(started(), untrackableSince(10*time.Second)),
			want:    result{"unavailable", 50 * time.Second},
		},
		"Bound, untrackable resources applied exactly 60 s ago": {
			binding: bound(started(), untrackableSince(60*time.Second)),
			want:    result{"available", 0},
		},
		"Unscheduled, Available True reported before the scheduler let it go": {
			binding: unscheduled(availableNow(), generation(3)),
			want:    result{"available", 0},
		},
		"Unscheduled, Available False": {
			binding: unscheduled(notAvailableNow()),
			want:    result{"unavailable", 0},
		},
		"Unscheduled, nothing reported": {
			binding: unscheduled(),
			want:    result{"unavailable", 0},
		},
		"Unscheduled, untrackable resources applied 10 s ago": {
			binding: unscheduled(untrackableSince(10 * time.Second)),
			want:    result{"unavailable", 50 * time.Second},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, left := availabilityOf(tc.binding, time.Minute, testNow)
			if diff := cmp.Diff(tc.want, result{a.String(), left}); diff != "" {
				t.Errorf("availabilityOf() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestPlaced(t *testing.T) {
	tests := map[string]struct {
		binding *placementv1beta1.ClusterResourceBinding
		want    bool
	}{
		"Scheduled":            {scheduled("m"), false},
		"Scheduled, deleting":  {scheduled("m", deleting()), false},
		"Bound":                {makeBinding("m", placementv1beta1.BindingStateBound, newSnapshot), true},
		"Bound, being deleted": {makeBinding("m", placementv1beta1.BindingStateBound, newSnapshot, deleting()), true},
		"Unscheduled, previously Bound": {
			makeBinding("m", placementv1beta1.BindingStateUnscheduled, newSnapshot, previously(placementv1beta1.BindingStateBound)), true,
		},
		"Unscheduled, previously Scheduled": {
			makeBinding("m", placementv1beta1.BindingStateUnscheduled, "", previously(placementv1beta1.BindingStateScheduled)), false,
		},
		"Unscheduled, no annotation, with a snapshot": {
			makeBinding("m", placementv1beta1.BindingStateUnscheduled, newSnapshot), true,
		},
		"Unscheduled, no annotation, no snapshot": {
			makeBinding("m", placementv1beta1.BindingStateUnscheduled, ""), false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := placed(tc.binding); got != tc.want {
				t.Errorf("placed() = %v, want %v", got, tc.want)
			}
		})
	}
}
