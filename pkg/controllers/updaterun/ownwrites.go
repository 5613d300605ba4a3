package updaterun

import (
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ownWrites remembers, per run, the resourceVersions that this controller's
// own writes of the run replaced, until the informer cache shows the run at
// another version. A pass that reads the run at one of them (a binding event
// often comes before the event of our last status write) would decide from
// a status it has already moved past, and its status write would fail with
// a conflict; it waits instead, and the watch event of our write brings the
// run back (see arrived: the run watch otherwise passes generation changes
// only).
//
// Comparing resourceVersions for equality only is sound: every write of
// ours is made with the resourceVersion it replaces, so any other version
// the cache shows is ours or a later one.
type ownWrites struct {
	mu    sync.Mutex
	byRun map[string]*runWrites
}

// runWrites are the writes of one run the cache has not shown yet.
type runWrites struct {
	replaced map[string]bool
	// waiting is true when a pass was skipped for them.
	waiting bool
}

func newOwnWrites() *ownWrites {
	return &ownWrites{byRun: map[string]*runWrites{}}
}

// wrote records that a write of ours replaced the run's resourceVersion replaced.
func (o *ownWrites) wrote(run, replaced string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.byRun[run]
	if w == nil {
		w = &runWrites{replaced: map[string]bool{}}
		o.byRun[run] = w
	}
	w.replaced[replaced] = true
}

// behind reports whether the cache, which shows the run at resourceVersion
// rv, has not seen our last write of the run yet; if so, the next event of
// the run passes the watch (see arrived). It forgets the writes the cache
// shows.
func (o *ownWrites) behind(run, rv string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.byRun[run]
	if w == nil {
		return false
	}
	if w.replaced[rv] {
		w.waiting = true
		return true
	}
	delete(o.byRun, run)
	return false
}

// arrived takes the event of a run shown at resourceVersion rv: it forgets
// the writes the event shows, and reports whether a pass waits for them.
func (o *ownWrites) arrived(run, rv string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.byRun[run]
	if w == nil || w.replaced[rv] {
		return false
	}
	delete(o.byRun, run)
	return w.waiting
}

// forget drops what is recorded for the run.
func (o *ownWrites) forget(run string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.byRun, run)
}

// arrivedPredicate passes the run update that shows our own writes a
// skipped pass waits for.
func (o *ownWrites) arrivedPredicate() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return o.arrived(e.ObjectNew.GetName(), e.ObjectNew.GetResourceVersion())
		},
	}
}
