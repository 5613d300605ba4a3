package placement

import (
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// A placement's status lists every cluster, so each write of it costs the
// API server in proportion to the fleet; during a rollout it would change
// with every wave of clusters, and while a new placement is scheduled with
// every batch of bindings. Writes that only report progress are therefore
// paced: at most one per progressInterval, which grows with the number of
// clusters (a second each, so that what progress reports cost the API
// server per second does not grow with the placement), up to
// maxProgressInterval: at 100 clusters a placement's status is ≈ 150 KB,
// and the API server's cost of a status write (validation, defaulting and
// pruning of every entry) grows with it. The update run's status shows a
// rollout's progress as it happens. A change a user acts on is written at
// once: a new resource index or selection (other than an External
// rollout's clusters all reaching its index, see progressOnly), a placement
// condition changing status, or reason unless it stays Unknown (a rollout
// completing, say), and any cluster condition turning False.
const (
	progressIntervalPerCluster = time.Second
	maxProgressInterval        = 2 * time.Minute
)

// progressInterval is the least time between two progress-only writes of
// the status of a placement on clusters clusters.
func progressInterval(clusters int) time.Duration {
	return min(time.Duration(clusters)*progressIntervalPerCluster, maxProgressInterval)
}

// progressOnly reports whether going from old to updated only moves the
// rollout along: clusters coming and going, their conditions turning True
// or Unknown, transition times, observed generations of cluster conditions,
// the messages of the placement's conditions (which count clusters), and
// the reasons of those that stay Unknown. While an External placement's
// rollout is under way, its clusters all reaching one resource index (so
// that the placement shows that index and its selection) is progress too:
// the rollout is done only when RolloutStarted and the rest turn True.
func progressOnly(old, updated *placementv1beta1.PlacementStatus) bool {
	newIndex := old.ObservedResourceIndex != updated.ObservedResourceIndex ||
		!slices.EqualFunc(old.SelectedResources, updated.SelectedResources, resourceIdentifierEqual)
	reachedRolloutIndex := old.ObservedResourceIndex == "" && rolloutUnderway(old) && rolloutUnderway(updated)
	if newIndex && !reachedRolloutIndex {
		return false
	}
	if !sameOutcome(old.Conditions, updated.Conditions) {
		return false
	}
	before := make(map[string][]metav1.Condition, len(old.PerClusterPlacementStatuses))
	for _, pc := range old.PerClusterPlacementStatuses {
		before[pc.ClusterName] = pc.Conditions
	}
	for _, pc := range updated.PerClusterPlacementStatuses {
		for _, c := range pc.Conditions {
			if c.Status != metav1.ConditionFalse {
				continue
			}
			if prev := meta.FindStatusCondition(before[pc.ClusterName], c.Type); prev == nil || prev.Status != metav1.ConditionFalse || prev.Reason != c.Reason {
				return false
			}
		}
	}
	return true
}

// rolloutUnderway reports whether a placement's RolloutStarted is Unknown:
// some of its clusters have yet to start on the resources it selects.
func rolloutUnderway(s *placementv1beta1.PlacementStatus) bool {
	c := meta.FindStatusCondition(s.Conditions, string(placementv1beta1.ClusterResourcePlacementRolloutStarted))
	return c != nil && c.Status == metav1.ConditionUnknown
}

// sameOutcome reports whether two lists of placement conditions hold the
// same types with the same status and observed generation, and the same
// reason unless both are Unknown (an Unknown condition says "not yet",
// whatever its reason).
func sameOutcome(old, updated []metav1.Condition) bool {
	if len(old) != len(updated) {
		return false
	}
	for _, c := range updated {
		prev := meta.FindStatusCondition(old, c.Type)
		if prev == nil || prev.Status != c.Status || prev.ObservedGeneration != c.ObservedGeneration ||
			(prev.Reason != c.Reason && c.Status != metav1.ConditionUnknown) {
			return false
		}
	}
	return true
}

// statusPacer remembers when this process last wrote each placement's
// status. After a restart nothing is remembered, so the first write of
// each placement is never held back.
type statusPacer struct {
	now  func() time.Time
	mu   sync.Mutex
	last map[string]time.Time
}

func newStatusPacer(now func() time.Time) *statusPacer {
	return &statusPacer{now: now, last: map[string]time.Time{}}
}

// hold returns how long the write of the placement's status from old to
// updated should wait; zero or less means write now.
func (p *statusPacer) hold(name string, old, updated *placementv1beta1.PlacementStatus) time.Duration {
	if !progressOnly(old, updated) {
		return 0
	}
	p.mu.Lock()
	last, ok := p.last[name]
	p.mu.Unlock()
	if !ok {
		return 0
	}
	return last.Add(progressInterval(len(updated.PerClusterPlacementStatuses))).Sub(p.now())
}

// wrote records a write of the placement's status.
func (p *statusPacer) wrote(name string) {
	p.mu.Lock()
	p.last[name] = p.now()
	p.mu.Unlock()
}

// forget drops a deleted placement.
func (p *statusPacer) forget(name string) {
	p.mu.Lock()
	delete(p.last, name)
	p.mu.Unlock()
}
