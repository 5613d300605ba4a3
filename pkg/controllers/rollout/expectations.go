package rollout

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// expectations remembers, per placement, the bindings this controller has
// just written and the resourceVersions those writes replaced. Until the
// informer cache shows each such binding at another resourceVersion (or not
// at all), it still shows the binding as it was before our write, and a pass
// planning from it could, for example, see a cluster it just updated as still
// available and spend the maxUnavailable budget twice, or repeat a write and
// fail on a conflict. Such a pass waits instead: the watch event of our write
// is bound to come and brings the placement back.
//
// Comparing resourceVersions for equality only is sound: every write of ours
// was made with the resourceVersion it replaced, so any other version the
// cache shows is ours or a later one.
type expectations struct {
	mu    sync.Mutex
	byCRP map[string]map[types.UID]map[string]bool
}

func newExpectations() *expectations {
	return &expectations{byCRP: map[string]map[types.UID]map[string]bool{}}
}

// wrote records that a write of ours replaced the binding's resourceVersion
// replaced.
func (e *expectations) wrote(crp string, uid types.UID, replaced string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byCRP[crp] == nil {
		e.byCRP[crp] = map[types.UID]map[string]bool{}
	}
	if e.byCRP[crp][uid] == nil {
		e.byCRP[crp][uid] = map[string]bool{}
	}
	e.byCRP[crp][uid][replaced] = true
}

// satisfied reports whether bindings (the placement's bindings as the cache
// shows them) reflect every write recorded for the placement. It forgets the
// writes the cache shows.
func (e *expectations) satisfied(crp string, bindings []*placementv1beta1.ClusterResourceBinding) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	want := e.byCRP[crp]
	if len(want) == 0 {
		return true
	}
	cached := make(map[types.UID]string, len(bindings))
	for _, b := range bindings {
		cached[b.UID] = b.ResourceVersion
	}
	for uid, replaced := range want {
		// A binding the cache no longer has is gone: the cache never goes back.
		if rv, ok := cached[uid]; !ok || !replaced[rv] {
			delete(want, uid)
		}
	}
	if len(want) == 0 {
		delete(e.byCRP, crp)
		return true
	}
	return false
}

// forget drops everything recorded for the placement.
func (e *expectations) forget(crp string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.byCRP, crp)
}
