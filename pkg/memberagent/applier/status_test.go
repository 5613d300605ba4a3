package applier

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

var (
	earlier = metav1.NewTime(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	now     = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
)

func cmManifest(ordinal int, name string) *manifest {
	return &manifest{id: placementv1beta1.WorkResourceIdentifier{Ordinal: ordinal, Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "app", Name: name}}
}

func liveAt(gen int64) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGeneration(gen)
	return u
}

func appliedAs(a availability.Result) *result {
	return &result{reason: placementv1beta1.ManifestAppliedReason, message: "applied", live: liveAt(1), availability: a}
}

// cond is a condition as the tests compare it (without transition time).
func cond(t placementv1beta1.WorkConditionType, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: string(t), Status: s, Reason: reason, ObservedGeneration: gen}
}

var ignoreTimeAndMessage = cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime", "Message")

func TestWorkConditions(t *testing.T) {
	const gen = 4
	tests := map[string]struct {
		results    []*result
		reportDiff bool
		want       []metav1.Condition
	}{
		"every manifest applied and available": {
			results: []*result{appliedAs(availability.Available), appliedAs(availability.Available)},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason, gen),
			},
		},
		"an untrackable object counts as available, and the reason says so": {
			results: []*result{appliedAs(availability.Available), appliedAs(availability.NotTrackable)},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkNotAllManifestsTrackableReason, gen),
			},
		},
		"an object not available yet": {
			results: []*result{appliedAs(availability.NotYetAvailable), appliedAs(availability.NotTrackable)},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAvailableReason, gen),
			},
		},
		"an availability check that failed": {
			results: []*result{{reason: placementv1beta1.ManifestAppliedReason, live: liveAt(1), availabilityErr: errors.New("bad status")}},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAvailableReason, gen),
			},
		},
		"one manifest failed: not applied, and no availability": {
			results: []*result{appliedAs(availability.Available), {reason: placementv1beta1.ManifestApplyFailedReason, message: `namespaces "nope" not found`}},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason, gen),
			},
		},
		"an object not taken over is not applied": {
			results: []*result{{reason: placementv1beta1.ManifestNotTakenOverReason}},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason, gen),
			},
		},
		"an empty Work is applied and available": {
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason, gen),
			},
		},
		"ReportDiff: every manifest compared, differences or not": {
			reportDiff: true,
			results:    []*result{{reason: placementv1beta1.ManifestFoundDiffReason}, {reason: placementv1beta1.ManifestNoDiffFoundReason}},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsDiffReportedReason, gen),
			},
		},
		"ReportDiff: a comparison failed": {
			reportDiff: true,
			results:    []*result{{reason: placementv1beta1.ManifestFailedToReportDiffReason}, {reason: placementv1beta1.ManifestNoDiffFoundReason}},
			want: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsDiffReportedReason, gen),
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Generation: gen}}
			// A stale condition of the other mode must go.
			work.SetConditions(cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, "Old", 1))
			if tc.reportDiff {
				work.SetConditions(cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, "Old", 1))
			}
			var manifests []*manifest
			for i := range tc.results {
				manifests = append(manifests, cmManifest(i, "cm"))
			}
			got := workStatus(work, manifests, tc.results, tc.reportDiff, now)
			if diff := cmp.Diff(tc.want, got.Conditions, ignoreTimeAndMessage, cmpopts.SortSlices(func(a, b metav1.Condition) bool { return a.Type < b.Type })); diff != "" {
				t.Errorf("Work conditions (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestWorkConditionMessageNamesTheFailure(t *testing.T) {
	work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
	manifests := []*manifest{cmManifest(0, "good"), cmManifest(1, "bad")}
	results := []*result{appliedAs(availability.Available), {reason: placementv1beta1.ManifestApplyFailedReason, message: `namespaces "nope" not found`}}
	got := workStatus(work, manifests, results, false, now).Conditions[0].Message
	want := `1 of 2 manifests are applied; manifest 1 (ConfigMap app/bad): namespaces "nope" not found`
	if got != want {
		t.Errorf("Applied message = %q, want %q", got, want)
	}
}

func TestManifestConditions(t *testing.T) {
	drift := []placementv1beta1.PatchDetail{{Path: "/data/key", ValueInHub: "hub", ValueInMember: "edited"}}
	tests := map[string]struct {
		result     *result
		reportDiff bool
		previous   *placementv1beta1.ManifestCondition
		want       placementv1beta1.ManifestCondition
	}{
		"applied and available, at the object's generation": {
			result: &result{reason: placementv1beta1.ManifestAppliedReason, live: liveAt(3), availability: availability.Available},
			want: placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 3),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason, 3),
			}},
		},
		"applied, not trackable": {
			result: &result{reason: placementv1beta1.ManifestAppliedReason, live: liveAt(1), availability: availability.NotTrackable},
			want: placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 1),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.ManifestNotTrackableReason, 1),
			}},
		},
		"applied, not available yet": {
			result: &result{reason: placementv1beta1.ManifestAppliedReason, live: liveAt(1), availability: availability.NotYetAvailable},
			want: placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 1),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionFalse, placementv1beta1.ManifestNotAvailableYetReason, 1),
			}},
		},
		"drifted with IfNotDrifted: not applied, drift reported, old Available removed": {
			result: &result{reason: placementv1beta1.ManifestFoundDriftsReason, live: liveAt(2), drifts: drift},
			previous: &placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason, 1),
			}},
			want: placementv1beta1.ManifestCondition{
				Conditions: []metav1.Condition{
					cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestFoundDriftsReason, 2),
				},
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: now, FirstDriftedObservedTime: now, ObservedInMemberClusterGeneration: 2, ObservedDrifts: drift},
			},
		},
		"the same drift seen again keeps its times": {
			result: &result{reason: placementv1beta1.ManifestFoundDriftsReason, live: liveAt(2), drifts: drift},
			previous: &placementv1beta1.ManifestCondition{
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: earlier, FirstDriftedObservedTime: earlier, ObservedInMemberClusterGeneration: 2, ObservedDrifts: drift},
			},
			want: placementv1beta1.ManifestCondition{
				Conditions: []metav1.Condition{
					cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestFoundDriftsReason, 2),
				},
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: earlier, FirstDriftedObservedTime: earlier, ObservedInMemberClusterGeneration: 2, ObservedDrifts: drift},
			},
		},
		"a changed drift keeps when it was first seen": {
			result: &result{reason: placementv1beta1.ManifestFoundDriftsReason, live: liveAt(2), drifts: drift},
			previous: &placementv1beta1.ManifestCondition{
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: earlier, FirstDriftedObservedTime: earlier, ObservedInMemberClusterGeneration: 2,
					ObservedDrifts: []placementv1beta1.PatchDetail{{Path: "/data/other"}}},
			},
			want: placementv1beta1.ManifestCondition{
				Conditions: []metav1.Condition{
					cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestFoundDriftsReason, 2),
				},
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: now, FirstDriftedObservedTime: earlier, ObservedInMemberClusterGeneration: 2, ObservedDrifts: drift},
			},
		},
		"a re-applied object loses its drift details": {
			result: &result{reason: placementv1beta1.ManifestAppliedReason, live: liveAt(3), availability: availability.Available},
			previous: &placementv1beta1.ManifestCondition{
				DriftDetails: &placementv1beta1.DriftDetails{ObservationTime: earlier, FirstDriftedObservedTime: earlier, ObservedDrifts: drift},
			},
			want: placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 3),
				cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason, 3),
			}},
		},
		"not taken over with IfNoDiff: the differences are reported": {
			result: &result{reason: placementv1beta1.ManifestFailedToTakeOverReason, live: liveAt(0), diffs: drift},
			want: placementv1beta1.ManifestCondition{
				Conditions: []metav1.Condition{
					cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestFailedToTakeOverReason, 0),
				},
				DiffDetails: &placementv1beta1.DiffDetails{ObservationTime: now, FirstDiffedObservedTime: now, ObservedInMemberClusterGeneration: ptr.To[int64](0), ObservedDiffs: drift},
			},
		},
		"ReportDiff of a missing object: only DiffReported, no generation": {
			reportDiff: true,
			result:     &result{reason: placementv1beta1.ManifestFoundDiffReason, diffs: missingObjectDiff()},
			previous: &placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 1),
			}},
			want: placementv1beta1.ManifestCondition{
				Conditions: []metav1.Condition{
					cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.ManifestFoundDiffReason, 0),
				},
				DiffDetails: &placementv1beta1.DiffDetails{ObservationTime: now, FirstDiffedObservedTime: now, ObservedDiffs: missingObjectDiff()},
			},
		},
		"ReportDiff that failed": {
			reportDiff: true,
			result:     &result{reason: placementv1beta1.ManifestFailedToReportDiffReason, live: liveAt(1)},
			want: placementv1beta1.ManifestCondition{Conditions: []metav1.Condition{
				cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionFalse, placementv1beta1.ManifestFailedToReportDiffReason, 1),
			}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := cmManifest(0, "cm")
			work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
			if tc.previous != nil {
				prev := tc.previous.DeepCopy()
				prev.Identifier = m.id
				work.Status.ManifestConditions = []placementv1beta1.ManifestCondition{*prev}
			}
			got := workStatus(work, []*manifest{m}, []*result{tc.result}, tc.reportDiff, now).ManifestConditions
			want := tc.want
			want.Identifier = m.id
			if diff := cmp.Diff([]placementv1beta1.ManifestCondition{want}, got, ignoreTimeAndMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("manifest conditions (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestUnchangedOutcomeKeepsStatus(t *testing.T) {
	work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
	manifests := []*manifest{cmManifest(0, "a"), {id: placementv1beta1.WorkResourceIdentifier{Ordinal: 1}}}
	results := []*result{
		{reason: placementv1beta1.ManifestFoundDriftsReason, live: liveAt(1), drifts: []placementv1beta1.PatchDetail{{Path: "/data/k"}}},
		{reason: placementv1beta1.ManifestDecodingErredReason, message: "bad"},
	}
	first := workStatus(work, manifests, results, false, earlier)
	work.Status = first
	second := workStatus(work, manifests, results, false, now)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("a second pass with the same outcome changed the status (-first,+second):\n%s", diff)
	}
}
