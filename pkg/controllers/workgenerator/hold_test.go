package workgenerator

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// bindingWith is a binding at generation 3 (bcond's) with the given conditions.
func bindingWith(conds ...metav1.Condition) *placementv1beta1.ClusterResourceBinding {
	b := boundBinding("crp", 1, 3)
	b.Status.Conditions = conds
	return b
}

// atGen returns c observed at gen.
func atGen(c metav1.Condition, gen int64) metav1.Condition {
	c.ObservedGeneration = gen
	return c
}

var (
	applyInProgressCond = bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason, "in progress")
	diffInProgressCond  = bcond(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionFalse, placementv1beta1.BindingDiffReportInProgressReason, "in progress")
	notSyncedYetCond    = bcond(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingWorkNotSynchronizedYetReason, "waiting")
)

func TestAwaitingFirstReport(t *testing.T) {
	tests := map[string]struct {
		binding *placementv1beta1.ClusterResourceBinding
		status  []metav1.Condition
		want    bool
	}{
		"Works just written for a binding that never reported": {
			binding: bindingWith(rolloutStartedCond),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, applyInProgressCond},
			want:    true,
		},
		"Works just written for a new generation, the status is about the older one": {
			binding: bindingWith(rolloutStartedCond, atGen(overriddenCond, 2), atGen(syncedCond, 2), atGen(appliedCond, 2), atGen(availableCond, 2)),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, applyInProgressCond},
			want:    true,
		},
		"ReportDiff Works awaiting their first diff report": {
			binding: bindingWith(rolloutStartedCond),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, diffInProgressCond},
			want:    true,
		},
		"the status speaks of this generation already": {
			binding: bindingWith(rolloutStartedCond, overriddenCond, notSyncedYetCond),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, applyInProgressCond},
		},
		"the member reported: news to write": {
			binding: bindingWith(rolloutStartedCond),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, appliedCond, availableCond},
		},
		"the Works are not synchronized": {
			binding: bindingWith(rolloutStartedCond),
			status:  []metav1.Condition{rolloutStartedCond, overriddenCond, notSyncedYetCond},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := &placementv1beta1.ResourceBindingStatus{Conditions: tc.status}
			if got := awaitingFirstReport(tc.binding, st); got != tc.want {
				t.Errorf("awaitingFirstReport() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatusHolds(t *testing.T) {
	const wait = 5 * time.Second
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	inProgress := &placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, applyInProgressCond}}
	applied := &placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, appliedCond, availableCond}}

	// A step is one pass: when it runs, on which generation, what it would
	// write, whether it wrote Works, and how long it should hold (0: write).
	type step struct {
		after  time.Duration
		gen    int64
		status *placementv1beta1.ResourceBindingStatus
		wrote  bool
		want   time.Duration
	}
	tests := map[string][]step{
		"a quick report is written at once, with WorkSynchronized": {
			{after: 0, gen: 3, status: inProgress, wrote: true, want: wait},
			{after: 100 * time.Millisecond, gen: 3, status: inProgress, want: wait - 100*time.Millisecond}, // the Work's own create event
			{after: 800 * time.Millisecond, gen: 3, status: applied, want: 0},
		},
		"a slow member gets the in-progress status when the wait is over": {
			{after: 0, gen: 3, status: inProgress, wrote: true, want: wait},
			{after: wait, gen: 3, status: inProgress, want: 0},
			{after: wait + time.Second, gen: 3, status: inProgress, want: 0}, // the hold is over for good
		},
		"Works nobody wrote in this process are reported at once": {
			{after: 0, gen: 3, status: inProgress, want: 0},
		},
		"a new generation starts a new wait": {
			{after: 0, gen: 3, status: inProgress, wrote: true, want: wait},
			{after: 2 * time.Second, gen: 4, status: inProgress, wrote: true, want: wait},
			{after: 3 * time.Second, gen: 4, status: inProgress, want: wait - time.Second},
		},
		"the hold of an older generation does not hold a newer one's status": {
			{after: 0, gen: 3, status: inProgress, wrote: true, want: wait},
			{after: time.Second, gen: 4, status: inProgress, want: 0},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			h := newStatusHolds(wait)
			for i, s := range steps {
				b := bindingWith(rolloutStartedCond)
				b.Generation = s.gen
				st := s.status.DeepCopy()
				for j := range st.Conditions {
					st.Conditions[j].ObservedGeneration = s.gen
				}
				b.Status.Conditions[0].ObservedGeneration = s.gen
				if got := h.hold(b, st, s.wrote, start.Add(s.after)); got != s.want {
					t.Errorf("pass %d: hold() = %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

func TestStatusHoldsDisabled(t *testing.T) {
	h := newStatusHolds(0)
	st := &placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, applyInProgressCond}}
	if got := h.hold(bindingWith(rolloutStartedCond), st, true, time.Now()); got != 0 {
		t.Errorf("hold() = %v without a wait, want 0", got)
	}
}
