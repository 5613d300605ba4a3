// Package ownwrites lets a controller that writes the objects it reconciles
// tell whether its informer cache has shown its own last write of one yet.
//
// A reconcile that reads an object from the cache at the resourceVersion one
// of its own writes replaced would decide again from a state it has already
// moved past, and its next write, made at that stale version, would fail
// with a conflict. It waits instead: Tracker.Stale tells it so, and the
// watch event of its write brings the object back through
// Tracker.ArrivedPredicate, which a controller whose watch otherwise passes
// only generation changes ORs with its predicate.
//
// Comparing resourceVersions for equality only is sound: every tracked write
// is made with the resourceVersion it replaces, so any other version the
// cache shows is that write or a later one.
package ownwrites

import (
	"context"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// Tracker remembers, per object name, the resourceVersions that the
// controller's own writes replaced, until the cache shows the object at
// another version. It is safe for concurrent use.
type Tracker struct {
	mu     sync.Mutex
	byName map[string]*pending
}

// pending are the writes of one object the cache has not shown yet.
type pending struct {
	replaced map[string]bool
	// waiting is true when a reconcile was skipped for them.
	waiting bool
}

// New returns an empty Tracker.
func New() *Tracker {
	return &Tracker{byName: map[string]*pending{}}
}

// Wrote records that a write of the named object replaced its
// resourceVersion replaced.
func (t *Tracker) Wrote(name, replaced string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byName[name]
	if p == nil {
		p = &pending{replaced: map[string]bool{}}
		t.byName[name] = p
	}
	p.replaced[replaced] = true
}

// Behind reports whether the cache, which shows the named object at
// resourceVersion rv, has not seen the last write of it yet; if so, the
// next event of the object passes ArrivedPredicate. Otherwise it forgets
// the object's writes: the cache shows them.
func (t *Tracker) Behind(name, rv string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byName[name]
	if p == nil {
		return false
	}
	if p.replaced[rv] {
		p.waiting = true
		return true
	}
	delete(t.byName, name)
	return false
}

// Arrived takes the event of the named object shown at resourceVersion rv:
// it forgets the writes the event shows, and reports whether a skipped
// reconcile waits for them.
func (t *Tracker) Arrived(name, rv string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byName[name]
	if p == nil || p.replaced[rv] {
		return false
	}
	delete(t.byName, name)
	return p.waiting
}

// Stale reports whether obj, just read from the cache behind c, is from
// before the last write of it: its reconcile should then wait for
// ArrivedPredicate to pass the write's event. It reads obj from c once
// more first, since that event may have come in between; obj holds what
// that read returned.
func (t *Tracker) Stale(ctx context.Context, c client.Reader, obj client.Object) (bool, error) {
	if !t.Behind(obj.GetName(), obj.GetResourceVersion()) {
		return false, nil
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return false, err
	}
	return t.Behind(obj.GetName(), obj.GetResourceVersion()), nil
}

// Forget drops what is recorded for the named object.
func (t *Tracker) Forget(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byName, name)
}

// ArrivedPredicate passes the update event that shows the writes a skipped
// reconcile waits for, and nothing else.
func (t *Tracker) ArrivedPredicate() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return t.Arrived(e.ObjectNew.GetName(), e.ObjectNew.GetResourceVersion())
		},
	}
}
