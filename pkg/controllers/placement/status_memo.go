package placement

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// A placement's per-cluster statuses are the bulk of what the hub agent
// would cache for it (a condition list per cluster, each naming its
// cluster), yet only this controller reads them, and only for the
// placements it is working on. The hub agent's cache drops them
// (pkg/hubagent CacheTransform); this controller remembers, for each
// placement it reconciled lately, the list it last wrote or read at the
// placement's resourceVersion, and reads the placement from the API server
// when the cache shows another version or it remembers none. A placement
// left alone for memoIdle is forgotten.
const memoIdle = 2 * time.Minute

// statusMemo remembers placements' per-cluster statuses. It is safe for
// concurrent use; the lists it hands out are shared and read-only.
type statusMemo struct {
	now func() time.Time

	mu     sync.Mutex
	byName map[string]memoEntry
	swept  time.Time
}

// memoEntry is a placement's per-cluster statuses at one resourceVersion.
type memoEntry struct {
	resourceVersion string
	perCluster      []placementv1beta1.PerClusterPlacementStatus
	used            time.Time
}

func newStatusMemo(now func() time.Time) *statusMemo {
	return &statusMemo{now: now, byName: map[string]memoEntry{}, swept: now()}
}

// get returns the placement's per-cluster statuses at resourceVersion rv,
// if they are remembered at that version.
func (m *statusMemo) get(name, rv string) ([]placementv1beta1.PerClusterPlacementStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.sweep()
	e, ok := m.byName[name]
	if !ok || e.resourceVersion != rv {
		return nil, false
	}
	e.used = now
	m.byName[name] = e
	return e.perCluster, true
}

// put remembers the placement's per-cluster statuses at resourceVersion rv.
func (m *statusMemo) put(name, rv string, perCluster []placementv1beta1.PerClusterPlacementStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byName[name] = memoEntry{resourceVersion: rv, perCluster: perCluster, used: m.sweep()}
}

// forget drops a deleted placement.
func (m *statusMemo) forget(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byName, name)
}

// sweep forgets the placements left alone for memoIdle, at most once per
// memoIdle, and returns the time now. m.mu is held.
func (m *statusMemo) sweep() time.Time {
	now := m.now()
	if now.Sub(m.swept) < memoIdle {
		return now
	}
	for name, e := range m.byName {
		if now.Sub(e.used) >= memoIdle {
			delete(m.byName, name)
		}
	}
	m.swept = now
	return now
}

// restoreStatus completes a placement read from the cache with its
// per-cluster statuses: from the memo when it remembers them at the
// placement's resourceVersion, else by reading the placement from the API
// server, which then replaces crp (it is at least as recent). Every status
// write starts from a restored placement, so the clusters' conditions keep
// their transition times and none is lost.
func (r *Reconciler) restoreStatus(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) error {
	if perCluster, ok := r.memo.get(crp.Name, crp.ResourceVersion); ok {
		crp.Status.PerClusterPlacementStatuses = perCluster
		return nil
	}
	live := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.apiReader.Get(ctx, client.ObjectKeyFromObject(crp), live); err != nil {
		return fmt.Errorf("reading the status of ClusterResourcePlacement %q: %w", crp.Name, err)
	}
	*crp = *live
	r.rememberStatus(crp)
	return nil
}

// rememberStatus records the per-cluster statuses of a placement as the API
// server returned it.
func (r *Reconciler) rememberStatus(crp *placementv1beta1.ClusterResourcePlacement) {
	r.memo.put(crp.Name, crp.ResourceVersion, crp.Status.PerClusterPlacementStatuses)
}
