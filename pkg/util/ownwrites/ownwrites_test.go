package ownwrites

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestTracker(t *testing.T) {
	// A step is one call: wrote (replacing rv), behind (a reconcile reading
	// rv from the cache) or arrived (the watch event of the object at rv);
	// want is what behind or arrived returns.
	type step struct {
		call string
		rv   string
		want bool
	}
	tests := map[string][]step{
		"an object we never wrote is never behind": {
			{call: "behind", rv: "1"},
			{call: "arrived", rv: "2"},
		},
		"a reconcile reading the version our write replaced waits for the write's event": {
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
		"a reconcile reading our last write goes ahead and forgets it": {
			{call: "wrote", rv: "10"},
			{call: "behind", rv: "11"},
			{call: "arrived", rv: "12"},
		},
		"two writes in one reconcile: the first one's event is still behind": {
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
			o := New()
			for i, s := range steps {
				var got bool
				switch s.call {
				case "wrote":
					o.Wrote("obj", s.rv)
					continue
				case "behind":
					got = o.Behind("obj", s.rv)
				case "arrived":
					got = o.Arrived("obj", s.rv)
				}
				if got != s.want {
					t.Errorf("step %d: %s(%s) = %v, want %v", i, s.call, s.rv, got, s.want)
				}
			}
		})
	}
}

func TestTrackerIsPerObject(t *testing.T) {
	o := New()
	o.Wrote("a", "10")
	if o.Behind("b", "10") {
		t.Error("object b is behind at a version only object a's write replaced")
	}
	o.Forget("a")
	if o.Behind("a", "10") {
		t.Error("object a is behind after Forget")
	}
}

func TestArrivedPredicate(t *testing.T) {
	o := New()
	p := o.ArrivedPredicate()
	obj := func(rv string) *corev1.ConfigMap {
		c := &corev1.ConfigMap{}
		c.Name, c.ResourceVersion = "obj", rv
		return c
	}
	o.Wrote("obj", "10")
	o.Behind("obj", "10")
	if p.Create(event.CreateEvent{Object: obj("10")}) || p.Delete(event.DeleteEvent{Object: obj("10")}) {
		t.Error("the predicate passes creates or deletes; the generation predicate does")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("10"), ObjectNew: obj("11")}) {
		t.Error("the event of the write a skipped reconcile waits for does not pass")
	}
	if p.Update(event.UpdateEvent{ObjectOld: obj("11"), ObjectNew: obj("12")}) {
		t.Error("a later status-only event passes")
	}
}

// TestStale checks that an object read at a version our write replaced is
// read once more, and is stale only if that read shows the same version.
func TestStale(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithObjects(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "obj"}}).Build()
	read := func() *corev1.ConfigMap {
		t.Helper()
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "obj"}, cm); err != nil {
			t.Fatal(err)
		}
		return cm
	}
	o := New()
	if stale, err := o.Stale(ctx, c, read()); stale || err != nil {
		t.Fatalf("Stale() = %v, %v for an object we never wrote, want false", stale, err)
	}

	old := read()
	o.Wrote("obj", old.ResourceVersion)
	if stale, err := o.Stale(ctx, c, old.DeepCopy()); !stale || err != nil {
		t.Fatalf("Stale() = %v, %v while the reader shows the version our write replaced, want true", stale, err)
	}

	// The write lands between the first read and Stale's own.
	landed := read()
	landed.Data = map[string]string{"k": "v"}
	if err := c.Update(ctx, landed); err != nil {
		t.Fatal(err)
	}
	o.Wrote("obj", old.ResourceVersion)
	obj := old.DeepCopy()
	if stale, err := o.Stale(ctx, c, obj); stale || err != nil {
		t.Fatalf("Stale() = %v, %v once the reader shows our write, want false", stale, err)
	}
	if obj.ResourceVersion != landed.ResourceVersion {
		t.Errorf("Stale() left the object at %s, want the version it read, %s", obj.ResourceVersion, landed.ResourceVersion)
	}
}
