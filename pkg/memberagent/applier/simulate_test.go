package applier

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestAppliedStatus(t *testing.T) {
	mapper := testMapper().(*meta.DefaultRESTMapper)
	mapper.Add(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, meta.RESTScopeNamespace)
	work := &placementv1beta1.Work{
		ObjectMeta: metav1.ObjectMeta{Generation: 3},
		Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: []placementv1beta1.Manifest{
			raw(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"perf-0000"}}`),
			raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"perf-0000"},"data":{"v":"x"}}`),
			raw(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"perf-0000"}}`),
		}}},
	}
	type cond struct {
		Type, Reason string
		Status       metav1.ConditionStatus
		Gen          int64
	}
	conds := func(cs []metav1.Condition) []cond {
		var out []cond
		for _, c := range cs {
			out = append(out, cond{c.Type, c.Reason, c.Status, c.ObservedGeneration})
		}
		return out
	}
	tests := map[string]struct {
		failApply     map[int]string
		wantWork      []cond
		wantManifests [][]cond
	}{
		"an applied Work is Applied and Available at its generation": {
			wantWork: []cond{
				{"Applied", placementv1beta1.WorkAllManifestsAppliedReason, metav1.ConditionTrue, 3},
				{"Available", placementv1beta1.WorkNotAllManifestsTrackableReason, metav1.ConditionTrue, 3},
			},
			wantManifests: [][]cond{
				{{"Applied", placementv1beta1.ManifestAppliedReason, metav1.ConditionTrue, 0}, {"Available", placementv1beta1.ManifestAvailableReason, metav1.ConditionTrue, 0}},
				{{"Applied", placementv1beta1.ManifestAppliedReason, metav1.ConditionTrue, 0}, {"Available", placementv1beta1.ManifestAvailableReason, metav1.ConditionTrue, 0}},
				{{"Applied", placementv1beta1.ManifestAppliedReason, metav1.ConditionTrue, 0}, {"Available", placementv1beta1.ManifestNotTrackableReason, metav1.ConditionTrue, 0}},
			},
		},
		"a manifest that failed to apply leaves the Work not Applied, without availability": {
			failApply: map[int]string{0: "simulated failure"},
			wantWork:  []cond{{"Applied", placementv1beta1.WorkNotAllManifestsAppliedReason, metav1.ConditionFalse, 3}},
			wantManifests: [][]cond{
				{{"Applied", placementv1beta1.ManifestApplyFailedReason, metav1.ConditionFalse, 0}},
				{{"Applied", placementv1beta1.ManifestAppliedReason, metav1.ConditionTrue, 0}, {"Available", placementv1beta1.ManifestAvailableReason, metav1.ConditionTrue, 0}},
				{{"Applied", placementv1beta1.ManifestAppliedReason, metav1.ConditionTrue, 0}, {"Available", placementv1beta1.ManifestNotTrackableReason, metav1.ConditionTrue, 0}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := AppliedStatus(work, mapper, tc.failApply, metav1.Now())
			if diff := cmp.Diff(tc.wantWork, conds(st.Conditions)); diff != "" {
				t.Errorf("Work conditions (-want,+got):\n%s", diff)
			}
			var got [][]cond
			for _, mc := range st.ManifestConditions {
				got = append(got, conds(mc.Conditions))
			}
			if diff := cmp.Diff(tc.wantManifests, got); diff != "" {
				t.Errorf("manifest conditions (-want,+got):\n%s", diff)
			}
			wantIDs := []placementv1beta1.WorkResourceIdentifier{
				{Ordinal: 0, Version: "v1", Kind: "Namespace", Resource: "namespaces", Name: "perf-0000"},
				{Ordinal: 1, Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "perf-0000", Name: "cfg"},
				{Ordinal: 2, Group: "example.com", Version: "v1", Kind: "Widget", Resource: "widgets", Namespace: "perf-0000", Name: "w"},
			}
			var ids []placementv1beta1.WorkResourceIdentifier
			for _, mc := range st.ManifestConditions {
				ids = append(ids, mc.Identifier)
			}
			if diff := cmp.Diff(wantIDs, ids); diff != "" {
				t.Errorf("identifiers (-want,+got):\n%s", diff)
			}
		})
	}
}
