package workgenerator

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// DefaultReportWait is how long the work generator holds a binding's status
// back after writing the Works of a new binding generation, waiting for the
// member agent's first report on them. A report that comes in time is
// written together with WorkSynchronized, in one binding status write
// instead of two; a member that is slower, or offline, gets WorkSynchronized
// True and Applied ApplyInProgress once the wait is over, as without it.
const DefaultReportWait = 5 * time.Second

// statusHolds remembers, per binding, until when the status of the Works
// written for a binding generation is held back. It lives in memory only: a
// restarted work generator writes the status at once.
type statusHolds struct {
	wait time.Duration

	mu        sync.Mutex
	byBinding map[string]statusHold
}

// statusHold is one binding's held status: the generation whose Works were
// written, and when the hold ends.
type statusHold struct {
	generation int64
	until      time.Time
}

func newStatusHolds(wait time.Duration) *statusHolds {
	return &statusHolds{wait: wait, byBinding: map[string]statusHold{}}
}

// hold decides whether the pass at now, about to write st on binding b,
// holds the write back, and for how long: only while the status would say
// nothing but "synchronized, the member agent has not reported yet" about a
// generation the binding's status has not spoken of, and within the wait
// since a pass wrote the generation's Works (wrote says this pass did). A
// zero duration means "write now", and forgets the binding's hold.
func (h *statusHolds) hold(b *placementv1beta1.ClusterResourceBinding, st *placementv1beta1.ResourceBindingStatus, wrote bool, now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.wait <= 0 || !awaitingFirstReport(b, st) {
		delete(h.byBinding, b.Name)
		return 0
	}
	held, ok := h.byBinding[b.Name]
	if !ok || held.generation != b.Generation {
		if !wrote {
			// Nobody waits for these Works' report: they were written before
			// a restart, or are the binding's older generation's.
			delete(h.byBinding, b.Name)
			return 0
		}
		held = statusHold{generation: b.Generation, until: now.Add(h.wait)}
		h.byBinding[b.Name] = held
	}
	if left := held.until.Sub(now); left > 0 {
		return left
	}
	delete(h.byBinding, b.Name)
	return 0
}

// forget drops the binding's hold.
func (h *statusHolds) forget(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byBinding, name)
}

// awaitingFirstReport reports whether st, the status computed for binding
// b, only says that the Works are synchronized and that the member agent
// has not reported on them yet, while b's status has said nothing yet about
// b's generation (so what it shows is about an older generation, which
// every reader takes as "not known yet").
func awaitingFirstReport(b *placementv1beta1.ClusterResourceBinding, st *placementv1beta1.ResourceBindingStatus) bool {
	if c := b.GetCondition(string(placementv1beta1.ResourceBindingWorkSynchronized)); c != nil && c.ObservedGeneration == b.Generation {
		return false
	}
	synced := meta.FindStatusCondition(st.Conditions, string(placementv1beta1.ResourceBindingWorkSynchronized))
	if synced == nil || synced.Status != metav1.ConditionTrue {
		return false
	}
	if c := meta.FindStatusCondition(st.Conditions, string(placementv1beta1.ResourceBindingApplied)); c != nil {
		return c.Reason == placementv1beta1.BindingApplyInProgressReason
	}
	if c := meta.FindStatusCondition(st.Conditions, string(placementv1beta1.ResourceBindingDiffReported)); c != nil {
		return c.Reason == placementv1beta1.BindingDiffReportInProgressReason
	}
	return false
}
