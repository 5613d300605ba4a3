package updaterun

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/event"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestOwnWrites(t *testing.T) {
	// A step is one call: wrote (replacing rv), behind (a pass reading rv
	// from the cache) or arrived (the watch event of the run at rv); want is
	// what behind or arrived returns.
	type step struct {
		call string
		rv   string
		want bool
	}
	tests := map[string][]step{
		"a run we never wrote is never behind": {
			{call: "behind", rv: "1"},
			{call: "arrived", rv: "2"},
		},
		"a pass reading the version our status write replaced waits for the write's event": {
			{call: "wrote", rv: "10"},
			{call: "behind", rv: "10", want: true},
			{call: "arrived", rv: "11", want: true},
			{call: "behind", rv: "11"},
		},
		"the event of a write nobody waits for does not pass, and the cache is caught up": {
			{call: "wrote", rv: "10"},
			{call: "arrived", rv: "11"},
			{call: "behind", rv: "10"}, // forgotten: only our write's event tells the cache is behind
		},
		"a pass reading our last write goes ahead and forgets it": {
			{call: "wrote", rv: "10"},
			{call: "behind", rv: "11"},
			{call: "arrived", rv: "12"},
		},
		"two writes in one pass: the first one's event is still behind": {
			{call: "wrote", rv: "10"}, // the finalizer
			{call: "wrote", rv: "11"}, // the status
			{call: "behind", rv: "11", want: true},
			{call: "arrived", rv: "11"},
			{call: "arrived", rv: "12", want: true},
			{call: "behind", rv: "12"},
		},
		"a later write by someone else counts as caught up": {
			{call: "wrote", rv: "10"},
			{call: "behind", rv: "10", want: true},
			{call: "arrived", rv: "15", want: true},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			o := newOwnWrites()
			for i, s := range steps {
				var got bool
				switch s.call {
				case "wrote":
					o.wrote("run", s.rv)
					continue
				case "behind":
					got = o.behind("run", s.rv)
				case "arrived":
					got = o.arrived("run", s.rv)
				}
				if got != s.want {
					t.Errorf("step %d: %s(%s) = %v, want %v", i, s.call, s.rv, got, s.want)
				}
			}
		})
	}
}

func TestOwnWritesArePerRun(t *testing.T) {
	o := newOwnWrites()
	o.wrote("a", "10")
	if o.behind("b", "10") {
		t.Error("run b is behind at a version only run a's write replaced")
	}
	o.forget("a")
	if o.behind("a", "10") {
		t.Error("run a is behind after forget")
	}
}

func TestArrivedPredicate(t *testing.T) {
	o := newOwnWrites()
	p := o.arrivedPredicate()
	run := func(rv string) *placementv1beta1.ClusterStagedUpdateRun {
		r := &placementv1beta1.ClusterStagedUpdateRun{}
		r.Name, r.ResourceVersion = "run", rv
		return r
	}
	o.wrote("run", "10")
	o.behind("run", "10")
	if p.Create(event.CreateEvent{Object: run("10")}) || p.Delete(event.DeleteEvent{Object: run("10")}) {
		t.Error("the predicate passes creates or deletes; the generation predicate does")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: run("10"), ObjectNew: run("11")}) {
		t.Error("the event of the write a skipped pass waits for does not pass")
	}
	if p.Update(event.UpdateEvent{ObjectOld: run("11"), ObjectNew: run("12")}) {
		t.Error("a later status-only event passes")
	}
}
