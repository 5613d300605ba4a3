package applier

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

const ourUID = types.UID("aw-uid")

var (
	ourRef   = metav1.OwnerReference{APIVersion: "placement.kubernetes-fleet.io/v1beta1", Kind: "AppliedWork", Name: "w", UID: ourUID}
	otherRef = metav1.OwnerReference{APIVersion: "placement.kubernetes-fleet.io/v1beta1", Kind: "AppliedWork", Name: "other-work", UID: "other"}
	userRef  = metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "d1"}
)

func liveWith(refs ...metav1.OwnerReference) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	u.SetName("cm")
	u.SetOwnerReferences(refs)
	return u
}

func strategy(takeOver placementv1beta1.WhenToTakeOverType, coOwn bool) placementv1beta1.ApplyStrategy {
	w := &placementv1beta1.Work{Spec: placementv1beta1.WorkSpec{ApplyStrategy: &placementv1beta1.ApplyStrategy{WhenToTakeOver: takeOver, AllowCoOwnership: coOwn}}}
	return strategyOf(w)
}

func TestDecideOwnership(t *testing.T) {
	names := map[ownership]string{apply: "apply", takeOver: "takeOver", takeOverIfNoDiff: "takeOverIfNoDiff", leaveAlone: "leaveAlone", refuse: "refuse"}
	tests := map[string]struct {
		live     *unstructured.Unstructured
		strategy placementv1beta1.ApplyStrategy
		want     ownership
	}{
		"a missing object is created, whatever whenToTakeOver says": {
			live: nil, strategy: strategy(placementv1beta1.WhenToTakeOverTypeNever, false), want: apply,
		},
		"an object the Work already owns is applied": {
			live: liveWith(ourRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeNever, false), want: apply,
		},
		"an unowned object is taken over by default": {
			live: liveWith(), strategy: strategy("", false), want: takeOver,
		},
		"an unowned object with IfNoDiff needs a comparison first": {
			live: liveWith(), strategy: strategy(placementv1beta1.WhenToTakeOverTypeIfNoDiff, false), want: takeOverIfNoDiff,
		},
		"an unowned object with Never is left alone": {
			live: liveWith(), strategy: strategy(placementv1beta1.WhenToTakeOverTypeNever, false), want: leaveAlone,
		},
		"an object another placement placed is refused": {
			live: liveWith(otherRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeAlways, true), want: refuse,
		},
		"an object another placement placed is left alone with Never": {
			live: liveWith(otherRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeNever, true), want: leaveAlone,
		},
		"an object with another owner is refused without co-ownership": {
			live: liveWith(userRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeAlways, false), want: refuse,
		},
		"an object with another owner is taken over with co-ownership": {
			live: liveWith(userRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeAlways, true), want: takeOver,
		},
		"an owned object that gained another owner is refused without co-ownership": {
			live: liveWith(ourRef, userRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeAlways, false), want: refuse,
		},
		"an owned and co-owned object is applied with co-ownership": {
			live: liveWith(ourRef, userRef), strategy: strategy(placementv1beta1.WhenToTakeOverTypeAlways, true), want: apply,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, why := decideOwnership(tc.live, ourUID, tc.strategy)
			if diff := cmp.Diff(names[tc.want], names[got]); diff != "" {
				t.Errorf("decideOwnership() (-want,+got):\n%s", diff)
			}
			if (got == refuse || got == leaveAlone) && why == "" {
				t.Errorf("decideOwnership() = %s without a message", names[got])
			}
		})
	}
}

func TestOwnersOf(t *testing.T) {
	got := ownersOf(liveWith(userRef, ourRef, otherRef), ourUID)
	want := owners{
		ours:               true,
		otherAppliedWorks:  []string{"other-work"},
		others:             []string{"Deployment web"},
		referencesExceptUs: []metav1.OwnerReference{userRef, otherRef},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(owners{})); diff != "" {
		t.Errorf("ownersOf() (-want,+got):\n%s", diff)
	}
}

func TestStrategyDefaults(t *testing.T) {
	got := strategyOf(&placementv1beta1.Work{})
	want := placementv1beta1.ApplyStrategy{
		Type:             placementv1beta1.ApplyStrategyTypeClientSideApply,
		ComparisonOption: placementv1beta1.ComparisonOptionTypePartialComparison,
		WhenToApply:      placementv1beta1.WhenToApplyTypeAlways,
		WhenToTakeOver:   placementv1beta1.WhenToTakeOverTypeAlways,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("strategyOf() of a Work without an apply strategy (-want,+got):\n%s", diff)
	}
}

func TestForceConflicts(t *testing.T) {
	tests := map[string]struct {
		strategy placementv1beta1.ApplyStrategy
		want     bool
	}{
		"ClientSideApply always overwrites": {
			strategy: placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}, want: true,
		},
		"ServerSideApply without config does not force": {
			strategy: placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply}, want: false,
		},
		"ServerSideApply with force": {
			strategy: placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply,
				ServerSideApplyConfig: &placementv1beta1.ServerSideApplyConfig{ForceConflicts: true}},
			want: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := forceConflicts(tc.strategy); got != tc.want {
				t.Errorf("forceConflicts() = %v, want %v", got, tc.want)
			}
		})
	}
}
