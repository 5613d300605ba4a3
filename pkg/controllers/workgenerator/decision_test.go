package workgenerator

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestRolloutDecision(t *testing.T) {
	tests := map[string]struct {
		conds []metav1.Condition
		want  bool
	}{
		"no RolloutStarted":                      {},
		"True at the binding's generation":       {conds: []metav1.Condition{rolloutStartedCond}, want: true},
		"False at the binding's generation":      {conds: []metav1.Condition{bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionFalse, placementv1beta1.BindingRolloutNotStartedYetReason, "held")}, want: true},
		"Unknown at the binding's generation":    {conds: []metav1.Condition{bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionUnknown, "Pending", "")}},
		"True at an older generation is no news": {conds: []metav1.Condition{func() metav1.Condition { c := rolloutStartedCond; c.ObservedGeneration = 2; return c }()}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := boundBinding("crp", 1, 3)
			b.Status.Conditions = tc.conds
			if got := rolloutDecision(b) != nil; got != tc.want {
				t.Errorf("rolloutDecision != nil is %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	placement := func(name string, strategy placementv1beta1.RolloutStrategyType) *placementv1beta1.ClusterResourcePlacement {
		return &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       placementv1beta1.PlacementSpec{Strategy: placementv1beta1.RolloutStrategy{Type: strategy}},
		}
	}
	held := bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionFalse, placementv1beta1.BindingRolloutNotStartedYetReason, "held")
	stale := rolloutStartedCond
	stale.ObservedGeneration = 2
	implied := &metav1.Condition{
		Type: string(placementv1beta1.ResourceBindingRolloutStarted), Status: metav1.ConditionTrue, Reason: placementv1beta1.BindingRolloutStartedReason,
		Message:            "Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: 1, updateRun: run-1",
		ObservedGeneration: 3,
	}
	tests := map[string]struct {
		placement *placementv1beta1.ClusterResourcePlacement
		conds     []metav1.Condition
		want      decision
	}{
		"RollingUpdate, decided":              {placement: placement("crp", placementv1beta1.RollingUpdateRolloutStrategyType), conds: []metav1.Condition{rolloutStartedCond}, want: decision{started: &rolloutStartedCond}},
		"RollingUpdate, not decided yet":      {placement: placement("crp", placementv1beta1.RollingUpdateRolloutStrategyType), conds: []metav1.Condition{stale}},
		"External, bound by a run":            {placement: placement("crp", placementv1beta1.ExternalRolloutStrategyType), conds: []metav1.Condition{stale}, want: decision{started: implied, implied: true}},
		"External, nothing written yet":       {placement: placement("crp", placementv1beta1.ExternalRolloutStrategyType), want: decision{started: implied, implied: true}},
		"External, already written":           {placement: placement("crp", placementv1beta1.ExternalRolloutStrategyType), conds: []metav1.Condition{rolloutStartedCond}, want: decision{started: &rolloutStartedCond}},
		"External, held back before":          {placement: placement("crp", placementv1beta1.ExternalRolloutStrategyType), conds: []metav1.Condition{held}, want: decision{started: &held}},
		"the placement is gone":               {placement: placement("other", placementv1beta1.ExternalRolloutStrategyType)},
		"the default strategy, not decided":   {placement: placement("crp", "")},
		"External, the binding has no parent": {placement: placement("", placementv1beta1.ExternalRolloutStrategyType)},
	}
	scheme := runtime.NewScheme()
	if err := placementv1beta1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := boundBinding("crp", 1, 3)
			b.Annotations = map[string]string{placementv1beta1.BindingUpdateRunAnnotation: "run-1"}
			b.Status.Conditions = tc.conds
			builder := fake.NewClientBuilder().WithScheme(scheme)
			if tc.placement.Name != "" {
				builder = builder.WithObjects(tc.placement)
			} else {
				b.Labels = nil
			}
			r := &Reconciler{client: builder.Build()}
			got, err := r.decide(context.Background(), b)
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(decision{}), cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotIndex(t *testing.T) {
	tests := map[string]string{
		"crp-1-snapshot":         "1",
		"my-web-app-12-snapshot": "12",
		"crp-1-2":                "",
		"snapshot":               "",
		"":                       "",
		"nodash-snapshot":        "",
	}
	for name, want := range tests {
		if got := snapshotIndex(name); got != want {
			t.Errorf("snapshotIndex(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestStrategyTypeChanged(t *testing.T) {
	crp := func(strategy placementv1beta1.RolloutStrategyType, gen int64) client.Object {
		return &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: "crp", Generation: gen},
			Spec:       placementv1beta1.PlacementSpec{Strategy: placementv1beta1.RolloutStrategy{Type: strategy}},
		}
	}
	tests := map[string]struct {
		old, new client.Object
		want     bool
	}{
		"to External":                    {old: crp(placementv1beta1.RollingUpdateRolloutStrategyType, 1), new: crp(placementv1beta1.ExternalRolloutStrategyType, 2), want: true},
		"from External":                  {old: crp(placementv1beta1.ExternalRolloutStrategyType, 1), new: crp("", 2), want: true},
		"another spec change":            {old: crp(placementv1beta1.ExternalRolloutStrategyType, 1), new: crp(placementv1beta1.ExternalRolloutStrategyType, 2)},
		"a status write":                 {old: crp(placementv1beta1.ExternalRolloutStrategyType, 2), new: crp(placementv1beta1.ExternalRolloutStrategyType, 2)},
		"not a placement (passes, safe)": {old: &placementv1beta1.Work{}, new: &placementv1beta1.Work{}, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := strategyTypeChanged(tc.old, tc.new); got != tc.want {
				t.Errorf("strategyTypeChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
