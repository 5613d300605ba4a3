package framework

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestExternalPlacementYAML(t *testing.T) {
	cases := map[string]struct {
		policy string
		want   placementv1beta1.PlacementPolicy
	}{
		"every member": {policy: PickAll, want: placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType}},
		"named members": {policy: PickFixed("member2", "member3"), want: placementv1beta1.PlacementPolicy{
			PlacementType: placementv1beta1.PickFixedPlacementType, ClusterNames: []string{"member2", "member3"},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crp := &placementv1beta1.ClusterResourcePlacement{}
			if err := yaml.UnmarshalStrict([]byte(ExternalPlacementYAML("app", "app-ns", tc.policy)), crp); err != nil {
				t.Fatalf("the placement does not decode: %v", err)
			}
			want := placementv1beta1.PlacementSpec{
				ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: "app-ns"}},
				Policy:            &tc.want,
				Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
			}
			if crp.Name != "app" {
				t.Errorf("name = %q, want app", crp.Name)
			}
			if diff := cmp.Diff(want, crp.Spec); diff != "" {
				t.Errorf("spec (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestUpdateRunYAML(t *testing.T) {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	if err := yaml.UnmarshalStrict([]byte(UpdateRunYAML("r", "app", "1", "s")), run); err != nil {
		t.Fatalf("the run does not decode: %v", err)
	}
	want := placementv1beta1.UpdateRunSpec{PlacementName: "app", ResourceSnapshotIndex: "1", StagedUpdateStrategyName: "s"}
	if run.Name != "r" {
		t.Errorf("name = %q, want r", run.Name)
	}
	if diff := cmp.Diff(want, run.Spec); diff != "" {
		t.Errorf("spec (-want,+got):\n%s", diff)
	}
}
