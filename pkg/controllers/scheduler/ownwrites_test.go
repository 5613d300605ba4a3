package scheduler

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestOwnWritesBehind(t *testing.T) {
	binding := func(name, rv string, deleting bool) placementv1beta1.ClusterResourceBinding {
		b := placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: rv}}
		if deleting {
			b.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
		}
		return b
	}
	type write func(o *ownWrites)
	created := func(name string) write { return func(o *ownWrites) { o.created("crp", name) } }
	updated := func(name, rv string) write { return func(o *ownWrites) { o.updated("crp", name, rv) } }
	deleted := func(name string) write { return func(o *ownWrites) { o.deleted("crp", name) } }
	tests := map[string]struct {
		writes []write
		cached []placementv1beta1.ClusterResourceBinding
		age    time.Duration
		want   bool
	}{
		"nothing written":                   {cached: []placementv1beta1.ClusterResourceBinding{binding("a", "1", false)}},
		"a creation not shown yet":          {writes: []write{created("a")}, want: true},
		"a creation shown":                  {writes: []write{created("a")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "5", false)}},
		"an update not shown yet":           {writes: []write{updated("a", "5")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "5", false)}, want: true},
		"an update shown":                   {writes: []write{updated("a", "5")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "6", false)}},
		"an update, then the binding went":  {writes: []write{updated("a", "5")}},
		"a deletion not shown yet":          {writes: []write{deleted("a")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "5", false)}, want: true},
		"a deletion held by a finalizer":    {writes: []write{deleted("a")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "6", true)}},
		"a deletion shown":                  {writes: []write{deleted("a")}},
		"one of two creations not shown":    {writes: []write{created("a"), created("b")}, cached: []placementv1beta1.ClusterResourceBinding{binding("a", "5", false)}, want: true},
		"a creation not shown for too long": {writes: []write{created("a")}, age: expectationTTL + time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			now := time.Unix(100, 0)
			o := newOwnWrites()
			o.now = func() time.Time { return now }
			for _, w := range tc.writes {
				w(o)
			}
			now = now.Add(tc.age)
			if got := o.behind("crp", tc.cached); got != tc.want {
				t.Fatalf("behind = %v, want %v", got, tc.want)
			}
			if o.behind("other", nil) {
				t.Error("another placement is behind")
			}
			if !tc.want && len(o.byPlacement) != 0 {
				t.Errorf("writes shown are still recorded: %v", o.byPlacement)
			}
		})
	}
}

func TestOwnWritesForget(t *testing.T) {
	o := newOwnWrites()
	o.created("crp", "a")
	o.forget("crp")
	if o.behind("crp", nil) {
		t.Error("a forgotten placement is behind")
	}
}

func TestOwnWritesSweep(t *testing.T) {
	now := time.Unix(100, 0)
	o := newOwnWrites()
	o.now = func() time.Time { return now }
	o.created("old", "a")
	now = now.Add(expectationTTL + time.Second)
	o.created("new", "b")
	if _, ok := o.byPlacement["old"]; ok {
		t.Error("an expired record of a placement not listed since was kept")
	}
	if _, ok := o.byPlacement["new"]; !ok {
		t.Error("the new record was dropped")
	}
}
