package workgenerator

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestBindingChanged(t *testing.T) {
	base := boundBinding("crp", 1, 2)
	base.Status.Conditions = []metav1.Condition{rolloutStartedCond}
	tests := map[string]struct {
		mutate func(*placementv1beta1.ClusterResourceBinding)
		want   bool
	}{
		"nothing": {mutate: func(*placementv1beta1.ClusterResourceBinding) {}},
		"our own status write": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Status.Conditions = append(b.Status.Conditions, appliedCond)
			b.Status.FailedPlacements = []placementv1beta1.FailedResourcePlacement{{}}
		}},
		"our finalizer": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Finalizers = []string{placementv1beta1.WorkFinalizer}
		}},
		"a spec change": {mutate: func(b *placementv1beta1.ClusterResourceBinding) { b.Generation = 3 }, want: true},
		"deletion starts": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.DeletionTimestamp = &testTime
		}, want: true},
		"RolloutStarted written for a new generation": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Status.Conditions[0].ObservedGeneration = 4
		}, want: true},
		"RolloutStarted turns False": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Status.Conditions[0].Status = metav1.ConditionFalse
		}, want: true},
		"a label": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Labels[placementv1beta1.PlacementTrackingLabel] = "other"
		}, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			updated := base.DeepCopy()
			tc.mutate(updated)
			if got := bindingChanged(base, updated); got != tc.want {
				t.Errorf("bindingChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParentBinding(t *testing.T) {
	w := work("crp-work", 1)
	if got := parentBinding(context.Background(), w); got != nil {
		t.Errorf("parentBinding of a Work without the label = %v, want nothing", got)
	}
	w.Labels = map[string]string{placementv1beta1.ParentBindingLabel: "crp-member1-abcd1234"}
	want := []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "crp-member1-abcd1234"}}}
	if diff := cmp.Diff(want, parentBinding(context.Background(), w)); diff != "" {
		t.Errorf("parentBinding (-want,+got):\n%s", diff)
	}
}

func TestGroupMaster(t *testing.T) {
	sub := snapshot("crp", 3, 1, 0)
	if got := groupMaster(&sub); got != "crp-3-snapshot" {
		t.Errorf("groupMaster of a sub-snapshot = %q, want crp-3-snapshot", got)
	}
	sub.Labels[placementv1beta1.ResourceIndexLabel] = ""
	if got := groupMaster(&sub); got != "" {
		t.Errorf("groupMaster without an index = %q, want none", got)
	}
}

func TestMemberOfNamespace(t *testing.T) {
	tests := map[string]struct {
		cluster string
		ok      bool
	}{
		"fleet-member-member1": {cluster: "member1", ok: true},
		"fleet-member-":        {},
		"default":              {},
		"fleet-system":         {},
	}
	for ns, tc := range tests {
		t.Run(ns, func(t *testing.T) {
			cluster, ok := memberOfNamespace(ns)
			if cluster != tc.cluster && tc.ok || ok != tc.ok {
				t.Errorf("memberOfNamespace(%q) = %q, %v; want %q, %v", ns, cluster, ok, tc.cluster, tc.ok)
			}
		})
	}
}
