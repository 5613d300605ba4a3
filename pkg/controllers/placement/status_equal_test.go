package placement

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/fieldguard"
)

// equalStatus is a status that uses every field statusEqual compares.
func equalStatus(clusters int) *placementv1beta1.PlacementStatus {
	at := metav1.NewTime(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	conds := func(msg string) []metav1.Condition {
		return []metav1.Condition{
			{Type: "Scheduled", Status: metav1.ConditionTrue, ObservedGeneration: 1, LastTransitionTime: at, Reason: "Scheduled", Message: msg},
			{Type: "RolloutStarted", Status: metav1.ConditionUnknown, ObservedGeneration: 1, LastTransitionTime: at, Reason: "RolloutStartedUnknown", Message: "pending"},
		}
	}
	s := &placementv1beta1.PlacementStatus{
		SelectedResources: []placementv1beta1.ResourceIdentifier{
			{Version: "v1", Kind: "Namespace", Name: "app"},
			{Version: "v1", Kind: "ConfigMap", Name: "cfg", Namespace: "app", Envelope: &placementv1beta1.EnvelopeIdentifier{Name: "env", Namespace: "app", Type: placementv1beta1.ConfigMapEnvelopeType}},
		},
		ObservedResourceIndex: "1",
		Conditions:            conds("placement"),
	}
	for i := range clusters {
		name := fmt.Sprintf("member-%03d", i)
		s.PerClusterPlacementStatuses = append(s.PerClusterPlacementStatuses, placementv1beta1.PerClusterPlacementStatus{
			ClusterName:                        name,
			ObservedResourceIndex:              "1",
			Conditions:                         conds(name),
			ApplicableResourceOverrides:        []placementv1beta1.NamespacedName{{Name: "ro", Namespace: "app"}},
			ApplicableClusterResourceOverrides: []string{"cro"},
		})
	}
	return s
}

func TestStatusEqualCoversEveryField(t *testing.T) {
	fieldguard.Covers(t, map[reflect.Type][]string{
		reflect.TypeFor[placementv1beta1.PlacementStatus](): {"SelectedResources", "ObservedResourceIndex", "PerClusterPlacementStatuses", "Conditions"},
		reflect.TypeFor[placementv1beta1.PerClusterPlacementStatus](): {"ClusterName", "ObservedResourceIndex", "ApplicableResourceOverrides",
			"ApplicableClusterResourceOverrides", "FailedPlacements", "DriftedPlacements", "DiffedPlacements", "Conditions"},
		reflect.TypeFor[placementv1beta1.ResourceIdentifier](): {"Group", "Version", "Kind", "Name", "Namespace", "Envelope"},
		reflect.TypeFor[placementv1beta1.EnvelopeIdentifier](): {"Name", "Namespace", "Type"},
	})
}

func TestStatusEqualAgreesWithSemanticEquality(t *testing.T) {
	changes := map[string]struct {
		change func(*placementv1beta1.PlacementStatus)
		equal  bool
	}{
		"nothing": {func(*placementv1beta1.PlacementStatus) {}, true},
		"the same instant elsewhere": {func(s *placementv1beta1.PlacementStatus) {
			c := &s.PerClusterPlacementStatuses[1].Conditions[0]
			c.LastTransitionTime = metav1.NewTime(c.LastTransitionTime.In(time.FixedZone("east", 3600)))
		}, true},
		"empty instead of nil lists": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[0].FailedPlacements = []placementv1beta1.FailedResourcePlacement{}
			s.PerClusterPlacementStatuses[0].ApplicableClusterResourceOverrides = []string{"cro"}
		}, true},
		"index":            {func(s *placementv1beta1.PlacementStatus) { s.ObservedResourceIndex = "2" }, false},
		"a condition":      {func(s *placementv1beta1.PlacementStatus) { s.Conditions[1].Status = metav1.ConditionTrue }, false},
		"a condition gone": {func(s *placementv1beta1.PlacementStatus) { s.Conditions = s.Conditions[:1] }, false},
		"a selected name":  {func(s *placementv1beta1.PlacementStatus) { s.SelectedResources[0].Name = "other" }, false},
		"a selected group": {func(s *placementv1beta1.PlacementStatus) { s.SelectedResources[0].Group = "apps" }, false},
		"an envelope":      {func(s *placementv1beta1.PlacementStatus) { s.SelectedResources[1].Envelope.Name = "other" }, false},
		"no envelope":      {func(s *placementv1beta1.PlacementStatus) { s.SelectedResources[1].Envelope = nil }, false},
		"a cluster gone": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses = s.PerClusterPlacementStatuses[1:]
		}, false},
		"a cluster's name": {func(s *placementv1beta1.PlacementStatus) { s.PerClusterPlacementStatuses[2].ClusterName = "x" }, false},
		"a cluster's index": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].ObservedResourceIndex = "0"
		}, false},
		"a cluster's transition time": {func(s *placementv1beta1.PlacementStatus) {
			c := &s.PerClusterPlacementStatuses[2].Conditions[1]
			c.LastTransitionTime = metav1.NewTime(c.LastTransitionTime.Add(time.Second))
		}, false},
		"a cluster's observed generation": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].Conditions[1].ObservedGeneration = 2
		}, false},
		"a cluster's reason": {func(s *placementv1beta1.PlacementStatus) { s.PerClusterPlacementStatuses[2].Conditions[1].Reason = "x" }, false},
		"a cluster's message": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].Conditions[1].Message = "x"
		}, false},
		"a cluster's type": {func(s *placementv1beta1.PlacementStatus) { s.PerClusterPlacementStatuses[2].Conditions[1].Type = "x" }, false},
		"a resource override": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].ApplicableResourceOverrides[0].Namespace = "x"
		}, false},
		"a cluster resource override": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].ApplicableClusterResourceOverrides = nil
		}, false},
		"a failed placement": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].FailedPlacements = []placementv1beta1.FailedResourcePlacement{{ResourceIdentifier: s.SelectedResources[0]}}
		}, false},
		"a drifted placement": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].DriftedPlacements = []placementv1beta1.DriftedResourcePlacement{{ResourceIdentifier: s.SelectedResources[0]}}
		}, false},
		"a diffed placement": {func(s *placementv1beta1.PlacementStatus) {
			s.PerClusterPlacementStatuses[2].DiffedPlacements = []placementv1beta1.DiffedResourcePlacement{{ResourceIdentifier: s.SelectedResources[0]}}
		}, false},
	}
	for name, tc := range changes {
		t.Run(name, func(t *testing.T) {
			a, b := equalStatus(3), equalStatus(3)
			tc.change(b)
			if semantic := equality.Semantic.DeepEqual(a, b); semantic != tc.equal {
				t.Fatalf("the test case is wrong: semantic equality = %v, want %v", semantic, tc.equal)
			}
			if got := statusEqual(a, b); got != tc.equal {
				t.Errorf("statusEqual(a, b) = %v, want %v", got, tc.equal)
			}
			if got := statusEqual(b, a); got != tc.equal {
				t.Errorf("statusEqual(b, a) = %v, want %v", got, tc.equal)
			}
		})
	}
}

func TestStatusEqualDoesNotAllocate(t *testing.T) {
	a, b := equalStatus(100), equalStatus(100)
	if allocs := testing.AllocsPerRun(10, func() {
		if !statusEqual(a, b) {
			t.Fatal("equal statuses differ")
		}
	}); allocs != 0 {
		t.Errorf("statusEqual allocates %v times comparing statuses of 100 clusters, want 0", allocs)
	}
}

// BenchmarkStatusEqual compares two equal statuses of 100 clusters, as a
// reconcile that finds nothing to write does, with statusEqual and with
// the generic semantic equality it replaces.
func BenchmarkStatusEqual(b *testing.B) {
	x, y := equalStatus(100), equalStatus(100)
	for name, equal := range map[string]func(a, b *placementv1beta1.PlacementStatus) bool{
		"statusEqual": statusEqual,
		"semantic":    func(a, b *placementv1beta1.PlacementStatus) bool { return equality.Semantic.DeepEqual(a, b) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !equal(x, y) {
					b.Fatal("equal statuses differ")
				}
			}
		})
	}
}
