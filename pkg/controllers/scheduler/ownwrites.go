package scheduler

import (
	"sync"
	"time"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// ownWrites remembers, per placement, the binding writes of this scheduler
// that the informer cache has not shown yet. Reading bindings from the
// cache is what lets the scheduler keep up with a large fleet (an uncached
// list makes the API server filter every binding of the fleet), but a pass
// that misses a binding the previous pass created would create a second
// one for the cluster. So a pass lists from the cache, and only while the
// cache is behind its own writes does it list from the API server.
//
// A binding written with an update or patch is awaited by the
// resourceVersion it replaced: every such write of ours carries that
// version (optimistic locking), so any other version the cache shows, or
// its absence, is ours or later. A record older than expectationTTL is
// dropped: a cache that far behind is not waited for (as the ReplicaSet
// controller's expectations expire), and a binding someone else deleted
// before the cache showed our creation does not hold the placement on the
// API server for good.
type ownWrites struct {
	now func() time.Time

	mu          sync.Mutex
	byPlacement map[string]map[string]expectation
	// swept is when expired records were last dropped: a placement whose
	// bindings no longer change is not listed again to drop its own.
	swept time.Time
}

// expectationTTL is how long a write is awaited in the cache.
const expectationTTL = time.Minute

// expectation is what the cache must show of one binding.
type expectation struct {
	// replaced is the resourceVersion an update replaced; "" for a create.
	replaced string
	// gone is true for a deletion: the binding must be absent or deleting.
	gone bool
	// at is when the write was made.
	at time.Time
}

func newOwnWrites() *ownWrites {
	return &ownWrites{now: time.Now, byPlacement: map[string]map[string]expectation{}}
}

func (o *ownWrites) expect(placement, binding string, e expectation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.byPlacement[placement]
	if m == nil {
		m = map[string]expectation{}
		o.byPlacement[placement] = m
	}
	e.at = o.now()
	m[binding] = e
	if e.at.Sub(o.swept) > expectationTTL {
		o.sweep(e.at)
	}
}

// created records the creation of a binding.
func (o *ownWrites) created(placement, binding string) {
	o.expect(placement, binding, expectation{})
}

// updated records an update that replaced the binding's resourceVersion rv.
func (o *ownWrites) updated(placement, binding, rv string) {
	o.expect(placement, binding, expectation{replaced: rv})
}

// deleted records a binding's deletion.
func (o *ownWrites) deleted(placement, binding string) {
	o.expect(placement, binding, expectation{gone: true})
}

// sweep drops the records older than expectationTTL; o.mu is held.
func (o *ownWrites) sweep(now time.Time) {
	o.swept = now
	for placement, m := range o.byPlacement {
		for name, e := range m {
			if now.Sub(e.at) > expectationTTL {
				delete(m, name)
			}
		}
		if len(m) == 0 {
			delete(o.byPlacement, placement)
		}
	}
}

// forget drops what is recorded for a placement.
func (o *ownWrites) forget(placement string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.byPlacement, placement)
}

// behind reports whether the cached bindings of a placement miss one of
// our writes. Once they show them all, the writes are forgotten.
func (o *ownWrites) behind(placement string, cached []placementv1beta1.ClusterResourceBinding) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.byPlacement[placement]
	if len(m) == 0 {
		return false
	}
	byName := make(map[string]*placementv1beta1.ClusterResourceBinding, len(cached))
	for i := range cached {
		byName[cached[i].Name] = &cached[i]
	}
	now := o.now()
	behind := false
	for name, e := range m {
		b, ok := byName[name]
		var shown bool
		switch {
		case e.gone:
			shown = !ok || !b.DeletionTimestamp.IsZero()
		case e.replaced == "":
			shown = ok
		default:
			shown = !ok || b.ResourceVersion != e.replaced
		}
		if shown || now.Sub(e.at) > expectationTTL {
			delete(m, name)
			continue
		}
		behind = true
	}
	if len(m) == 0 {
		delete(o.byPlacement, placement)
	}
	return behind
}
