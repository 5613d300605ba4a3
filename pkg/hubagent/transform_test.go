package hubagent

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/fieldguard"
)

// binding is a binding built from fresh strings, as a decoder builds them.
func binding(name string) *placementv1beta1.ClusterResourceBinding {
	fresh := func(s string) string { return string([]byte(s)) }
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:          name,
			Labels:        map[string]string{fresh(placementv1beta1.PlacementTrackingLabel): fresh("crp")},
			Finalizers:    []string{fresh(placementv1beta1.WorkFinalizer)},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "hubagent"}},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:         placementv1beta1.BindingState(fresh("Bound")),
			TargetCluster: fresh("member1"),
		},
		Status: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
			{Type: fresh("Available"), Reason: fresh("AllWorkAreAvailable"), Message: fresh("All corresponding work objects are available")},
		}},
	}
}

func TestCacheTransformSharesStringsAndKeepsContent(t *testing.T) {
	transform := CacheTransform()
	var got []*placementv1beta1.ClusterResourceBinding
	for _, name := range []string{"a", "b"} {
		out, err := transform(binding(name))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.(*placementv1beta1.ClusterResourceBinding))
	}

	want := binding("a")
	want.ManagedFields = nil
	if !equality.Semantic.DeepEqual(got[0], want) {
		t.Errorf("transformed binding = %+v, want %+v", got[0], want)
	}
	same := func(what, x, y string) {
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s is not shared: %q, %q", what, x, y)
		}
	}
	a, b := got[0], got[1]
	same("the label value", a.Labels[placementv1beta1.PlacementTrackingLabel], b.Labels[placementv1beta1.PlacementTrackingLabel])
	same("the finalizer", a.Finalizers[0], b.Finalizers[0])
	same("the state", string(a.Spec.State), string(b.Spec.State))
	same("the target cluster", a.Spec.TargetCluster, b.Spec.TargetCluster)
	same("the condition message", a.Status.Conditions[0].Message, b.Status.Conditions[0].Message)
	if unsafe.StringData(a.Name) == unsafe.StringData(b.Name) {
		t.Error("different names share storage")
	}
	if reflect.ValueOf(a.Labels).UnsafePointer() != reflect.ValueOf(b.Labels).UnsafePointer() {
		t.Error("the label maps are not shared")
	}
	if &a.Finalizers[0] != &b.Finalizers[0] {
		t.Error("the finalizer lists are not shared")
	}
	if &a.Status.Conditions[0] != &b.Status.Conditions[0] {
		t.Error("the condition lists are not shared")
	}

	// A copy, as the cache's readers get, owns what it changes.
	c := a.DeepCopy()
	c.Labels["extra"] = "x"
	c.Status.Conditions[0].Reason = "Changed"
	c.Finalizers = append(c.Finalizers, "another")
	if len(b.Labels) != 1 || b.Status.Conditions[0].Reason != "AllWorkAreAvailable" || len(b.Finalizers) != 1 {
		t.Errorf("changing a copy changed a cached binding: %+v", b)
	}
}

func TestCacheTransformSharesOnlyEqualContent(t *testing.T) {
	transform := CacheTransform()
	a, b := binding("a"), binding("b")
	b.Labels[placementv1beta1.PlacementTrackingLabel] = "other"
	b.Status.Conditions[0].ObservedGeneration = 2
	b.Finalizers = append(b.Finalizers, placementv1beta1.SchedulerCleanupFinalizer)
	for _, o := range []*placementv1beta1.ClusterResourceBinding{a, b} {
		if _, err := transform(o); err != nil {
			t.Fatal(err)
		}
	}
	if a.Labels[placementv1beta1.PlacementTrackingLabel] != "crp" || b.Labels[placementv1beta1.PlacementTrackingLabel] != "other" {
		t.Errorf("labels = %v and %v, want crp and other", a.Labels, b.Labels)
	}
	if a.Status.Conditions[0].ObservedGeneration != 0 || b.Status.Conditions[0].ObservedGeneration != 2 {
		t.Errorf("observed generations = %d and %d, want 0 and 2", a.Status.Conditions[0].ObservedGeneration, b.Status.Conditions[0].ObservedGeneration)
	}
	if len(a.Finalizers) != 1 || len(b.Finalizers) != 2 {
		t.Errorf("finalizers = %v and %v, want one and two", a.Finalizers, b.Finalizers)
	}
}

func TestTableStartsOverWhenFull(t *testing.T) {
	tb := newTable(func(a, b string) bool { return a == b })
	for i := range maxShared {
		tb.share(uint64(i), strconv.Itoa(i))
	}
	if got := tb.share(0, "0"); got != "0" {
		t.Errorf("share(0) = %q from a full table, want the shared \"0\"", got)
	}
	tb.share(maxShared, "new")
	if len(tb.m) != 1 {
		t.Errorf("table holds %d entries after overflowing, want 1", len(tb.m))
	}
}

func TestTableTellsCollisionsApart(t *testing.T) {
	tb := newTable(func(a, b string) bool { return a == b })
	tb.share(7, "first")
	if got := tb.share(7, "second"); got != "second" {
		t.Errorf("share(7, second) = %q, want second itself (a hash collision)", got)
	}
	if got, ok := tb.get(7, "second"); ok || got != "second" {
		t.Errorf("get(7, second) = %q, %v; want second, false", got, ok)
	}
	if got, ok := tb.get(7, "first"); !ok || got != "first" {
		t.Errorf("get(7, first) = %q, %v; want first, true", got, ok)
	}
}

func TestCacheTransformSharesApplyStrategiesAndScoresByContent(t *testing.T) {
	base := func() *placementv1beta1.ApplyStrategy {
		return &placementv1beta1.ApplyStrategy{
			ComparisonOption: placementv1beta1.ComparisonOptionTypePartialComparison,
			WhenToApply:      placementv1beta1.WhenToApplyTypeAlways,
			Type:             placementv1beta1.ApplyStrategyTypeClientSideApply,
			WhenToTakeOver:   placementv1beta1.WhenToTakeOverTypeAlways,
		}
	}
	// Each variant differs from base in one field; the guard fails this
	// test when the API grows one the key does not cover.
	fieldguard.Covers(t, map[reflect.Type][]string{
		reflect.TypeFor[placementv1beta1.ApplyStrategy](): {"ComparisonOption", "WhenToApply", "Type", "AllowCoOwnership",
			"ServerSideApplyConfig", "WhenToTakeOver"},
		reflect.TypeFor[placementv1beta1.ServerSideApplyConfig](): {"ForceConflicts"},
		reflect.TypeFor[placementv1beta1.ClusterScore]():          {"AffinityScore", "TopologySpreadScore"},
	})
	variants := map[string]func(*placementv1beta1.ApplyStrategy){
		"comparison": func(s *placementv1beta1.ApplyStrategy) {
			s.ComparisonOption = placementv1beta1.ComparisonOptionTypeFullComparison
		},
		"when to apply":     func(s *placementv1beta1.ApplyStrategy) { s.WhenToApply = placementv1beta1.WhenToApplyTypeIfNotDrifted },
		"type":              func(s *placementv1beta1.ApplyStrategy) { s.Type = placementv1beta1.ApplyStrategyTypeServerSideApply },
		"when to take over": func(s *placementv1beta1.ApplyStrategy) { s.WhenToTakeOver = placementv1beta1.WhenToTakeOverTypeNever },
		"co-ownership":      func(s *placementv1beta1.ApplyStrategy) { s.AllowCoOwnership = true },
		"server-side config": func(s *placementv1beta1.ApplyStrategy) {
			s.ServerSideApplyConfig = &placementv1beta1.ServerSideApplyConfig{}
		},
		"forced conflicts": func(s *placementv1beta1.ApplyStrategy) {
			s.ServerSideApplyConfig = &placementv1beta1.ServerSideApplyConfig{ForceConflicts: true}
		},
	}
	score := func(affinity, spread *int32) *placementv1beta1.ClusterScore {
		return &placementv1beta1.ClusterScore{AffinityScore: affinity, TopologySpreadScore: spread}
	}
	zero, one := int32(0), int32(1)
	scores := map[string]*placementv1beta1.ClusterScore{
		"no affinity":   score(nil, &one),
		"zero affinity": score(&zero, &one),
		"no spread":     score(&one, nil),
		"zero spread":   score(&one, &zero),
		"neither":       score(nil, nil),
	}

	transform := CacheTransform()
	shared := func(s *placementv1beta1.ApplyStrategy, c *placementv1beta1.ClusterScore) *placementv1beta1.ClusterResourceBinding {
		b := binding("b")
		b.Spec.ApplyStrategy, b.Spec.ClusterDecision.ClusterScore = s, c
		out, err := transform(b)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*placementv1beta1.ClusterResourceBinding)
	}
	first := shared(base(), score(&one, &one))
	second := shared(base(), score(&one, &one))
	if first.Spec.ApplyStrategy != second.Spec.ApplyStrategy || first.Spec.ClusterDecision.ClusterScore != second.Spec.ClusterDecision.ClusterScore {
		t.Error("equal apply strategies or cluster scores are not shared")
	}
	if w := shared(nil, nil); w.Spec.ApplyStrategy != nil || w.Spec.ClusterDecision.ClusterScore != nil {
		t.Error("a missing apply strategy or cluster score became one")
	}
	for name, change := range variants {
		want := base()
		change(want)
		got := shared(want.DeepCopy(), nil).Spec.ApplyStrategy
		if got == first.Spec.ApplyStrategy || !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("%s: apply strategy = %+v (shared with base: %v), want %+v", name, got, got == first.Spec.ApplyStrategy, want)
		}
	}
	for name, want := range scores {
		got := shared(nil, want.DeepCopy()).Spec.ClusterDecision.ClusterScore
		if got == first.Spec.ClusterDecision.ClusterScore || !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("%s: cluster score = %+v, want %+v", name, got, want)
		}
	}
	work := &placementv1beta1.Work{Spec: placementv1beta1.WorkSpec{ApplyStrategy: base()}}
	if out, err := transform(work); err != nil || out.(*placementv1beta1.Work).Spec.ApplyStrategy != first.Spec.ApplyStrategy {
		t.Errorf("a Work's equal apply strategy is not shared (err %v)", err)
	}
}

func TestCacheTransformKeepsListsAtTheirLength(t *testing.T) {
	transform := CacheTransform()
	b := binding("a")
	b.Status.Conditions = append(make([]metav1.Condition, 0, 8), b.Status.Conditions...)
	crp := &placementv1beta1.ClusterResourcePlacement{}
	crp.Status.PerClusterPlacementStatuses = make([]placementv1beta1.PerClusterPlacementStatus, 3, 4)
	for _, o := range []any{b, crp} {
		if _, err := transform(o); err != nil {
			t.Fatal(err)
		}
	}
	if n := cap(b.Status.Conditions); n != 1 {
		t.Errorf("the binding's conditions keep a capacity of %d, want 1", n)
	}
	if n := cap(crp.Status.PerClusterPlacementStatuses); n != 3 {
		t.Errorf("the placement's clusters keep a capacity of %d, want 3", n)
	}
}

// TestCacheTransformSharesManifests checks that Works with the same
// manifests (a placement's Works on clusters its overrides leave alone)
// share one list, that other content is kept apart, and that a copy, as
// the cache's readers get, owns what it changes.
func TestCacheTransformSharesManifests(t *testing.T) {
	work := func(name string, raws ...string) *placementv1beta1.Work {
		w := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "fleet-member-" + name}}
		for _, raw := range raws {
			// Fresh bytes, as a decoder makes them, and room to spare.
			w.Spec.Workload.Manifests = append(w.Spec.Workload.Manifests, placementv1beta1.Manifest{
				RawExtension: runtime.RawExtension{Raw: []byte(raw)},
			})
		}
		w.Spec.Workload.Manifests = append(make([]placementv1beta1.Manifest, 0, 4), w.Spec.Workload.Manifests...)
		w.Status.ManifestConditions = []placementv1beta1.ManifestCondition{{
			Identifier: placementv1beta1.WorkResourceIdentifier{
				Version: string([]byte("v1")), Kind: string([]byte("ConfigMap")), Namespace: string([]byte("app")), Name: string([]byte("cfg")),
			},
		}}
		return w
	}
	ns, cm := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}}`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app"},"data":{"v":"1"}}`
	cases := map[string]struct {
		a, b       *placementv1beta1.Work
		wantShared bool
	}{
		"the same manifests":               {a: work("a", ns, cm), b: work("b", ns, cm), wantShared: true},
		"an overridden manifest":           {a: work("a", ns, cm), b: work("b", ns, strings.Replace(cm, `"1"`, `"2"`, 1))},
		"the same bytes split differently": {a: work("a", ns+cm), b: work("b", ns, cm)},
		"one manifest fewer":               {a: work("a", ns, cm), b: work("b", ns)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			transform := CacheTransform()
			want := []*placementv1beta1.Work{tc.a.DeepCopy(), tc.b.DeepCopy()}
			var got []*placementv1beta1.Work
			for _, w := range []*placementv1beta1.Work{tc.a, tc.b} {
				out, err := transform(w)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out.(*placementv1beta1.Work))
			}
			for i := range got {
				if !equality.Semantic.DeepEqual(got[i].Spec, want[i].Spec) || !equality.Semantic.DeepEqual(got[i].Status, want[i].Status) {
					t.Errorf("transformed Work %s = %+v, want %+v", got[i].Name, got[i], want[i])
				}
			}
			a, b := got[0].Spec.Workload.Manifests, got[1].Spec.Workload.Manifests
			if shared := &a[0] == &b[0]; shared != tc.wantShared {
				t.Errorf("manifest lists shared: %v, want %v", shared, tc.wantShared)
			}
			if cap(a) != len(a) {
				t.Errorf("the manifest list keeps a capacity of %d, want %d", cap(a), len(a))
			}
			ida, idb := got[0].Status.ManifestConditions[0].Identifier, got[1].Status.ManifestConditions[0].Identifier
			if unsafe.StringData(ida.Kind) != unsafe.StringData(idb.Kind) || unsafe.StringData(ida.Name) != unsafe.StringData(idb.Name) {
				t.Errorf("the manifest identifiers' strings are not shared")
			}

			c := got[0].DeepCopy()
			c.Spec.Workload.Manifests[0].Raw[0] = '['
			if got[1].Spec.Workload.Manifests[0].Raw[0] != '{' || got[0].Spec.Workload.Manifests[0].Raw[0] != '{' {
				t.Errorf("changing a copy changed a cached Work")
			}
		})
	}
}
