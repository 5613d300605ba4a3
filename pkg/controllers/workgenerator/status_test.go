package workgenerator

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// bcond is a binding condition at generation 3, the generation of the
// binding computeStatus is tested with.
func bcond(t placementv1beta1.ResourceBindingConditionType, s metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: string(t), Status: s, Reason: reason, Message: message, ObservedGeneration: 3}
}

var (
	rolloutStartedCond = bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason, "started")
	overriddenCond     = bcond(placementv1beta1.ResourceBindingOverridden, metav1.ConditionTrue, placementv1beta1.BindingOverrideNotSpecifiedReason, noOverrideMessage)
	syncedCond         = bcond(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionTrue, placementv1beta1.BindingAllWorkSyncedReason, allSyncedMessage)
	appliedCond        = bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAppliedReason, allAppliedMessage)
	availableCond      = bcond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAvailableReason, allAvailableMessage)
)

// stale is c observed at an older generation of the binding.
func stale(c metav1.Condition) metav1.Condition {
	c.ObservedGeneration = 2
	return c
}

func TestComputeStatus(t *testing.T) {
	failedApply := cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason, 4)
	failedApply.Message = "admission webhook denied the request"
	notAvailable := cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionFalse, placementv1beta1.ManifestNotAvailableYetReason, 4)
	drift := &placementv1beta1.DriftDetails{
		ObservationTime: testTime, FirstDriftedObservedTime: testTime, ObservedInMemberClusterGeneration: 7,
		ObservedDrifts: []placementv1beta1.PatchDetail{{Path: "/data/key", ValueInMember: "edited", ValueInHub: "value"}},
	}
	memberGen := int64(2)
	diff := &placementv1beta1.DiffDetails{
		ObservationTime: testTime, FirstDiffedObservedTime: testTime, ObservedInMemberClusterGeneration: &memberGen,
		ObservedDiffs: []placementv1beta1.PatchDetail{{Path: "/data/key", ValueInMember: "other", ValueInHub: "value"}},
	}
	reportDiff := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeReportDiff}

	tests := map[string]struct {
		strategy *placementv1beta1.ApplyStrategy
		old      []metav1.Condition
		outcome  outcome
		want     placementv1beta1.ResourceBindingStatus
	}{
		"a failed sync removes the Works' reports and keeps RolloutStarted": {
			old:     []metav1.Condition{rolloutStartedCond, appliedCond, availableCond},
			outcome: outcome{failure: "creating Work fleet-member-member1/crp-work: boom"},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				rolloutStartedCond, overriddenCond,
				bcond(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingSyncWorkFailedReason,
					"Failed to synchronize the work to the latest: creating Work fleet-member-member1/crp-work: boom"),
			}},
		},
		"an implied decision writes RolloutStarted at the binding's generation with the report": {
			old:     []metav1.Condition{stale(rolloutStartedCond), stale(availableCond)},
			outcome: outcome{started: true, works: []*placementv1beta1.Work{work("crp-work", 2, appliedAndAvailable(2)...)}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason,
					"Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: 1, updateRun: "),
				overriddenCond, syncedCond, appliedCond, availableCond,
			}},
		},
		"an implied decision is written with a failed sync too": {
			outcome: outcome{started: true, failure: "MemberCluster \"member1\" is leaving the fleet"},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				bcond(placementv1beta1.ResourceBindingRolloutStarted, metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason,
					"Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: 1, updateRun: "),
				overriddenCond,
				bcond(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingSyncWorkFailedReason,
					"Failed to synchronize the work to the latest: MemberCluster \"member1\" is leaving the fleet"),
			}},
		},
		"a Work waiting for its snapshots is not synchronized yet": {
			outcome: outcome{pending: "Waiting for 1 more resource snapshot(s)"},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond,
				bcond(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingWorkNotSynchronizedYetReason, "Waiting for 1 more resource snapshot(s)"),
			}},
		},
		"a Work just written is being applied and Available goes": {
			old:     []metav1.Condition{rolloutStartedCond, overriddenCond, syncedCond, appliedCond, availableCond},
			outcome: outcome{works: []*placementv1beta1.Work{work("crp-work", 1)}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				rolloutStartedCond, overriddenCond, syncedCond,
				bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason,
					"Work object crp-work is being applied: the member agent has not reported on its generation 1 yet"),
			}},
		},
		"reports about an older generation of a Work do not count": {
			outcome: outcome{works: []*placementv1beta1.Work{work("crp-work", 2, appliedAndAvailable(1)...)}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond,
				bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason,
					"Work object crp-work is being applied: the member agent has not reported on its generation 2 yet"),
			}},
		},
		"every Work applied and available": {
			outcome: outcome{works: []*placementv1beta1.Work{work("crp-work", 2, appliedAndAvailable(2)...), work("crp-0", 1, appliedAndAvailable(1)...)}},
			want:    placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{overriddenCond, syncedCond, appliedCond, availableCond}},
		},
		"a Work with objects that cannot be tracked": {
			outcome: outcome{works: []*placementv1beta1.Work{
				work("crp-work", 1, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, 1),
					cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkNotAllManifestsTrackableReason, 1)),
			}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond, appliedCond,
				bcond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason,
					"The availability of work object crp-work is not trackable"),
			}},
		},
		"KubeFleet's newer untrackable reason counts too": {
			outcome: outcome{works: []*placementv1beta1.Work{
				work("crp-work", 1, appliedAndAvailable(1)...),
				work("crp-0", 1, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, 1),
					cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkNotAllManifestsAvailabilityTrackableReason, 1)),
			}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond, appliedCond,
				bcond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason,
					"The availability of work object crp-0 is not trackable"),
			}},
		},
		"a Work not reported yet outweighs another that failed": {
			outcome: outcome{works: []*placementv1beta1.Work{
				work("crp-work", 2),
				work("crp-0", 1, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason, 1)),
			}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond,
				bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason,
					"Work object crp-work is being applied: the member agent has not reported on its generation 2 yet"),
			}},
		},
		"a manifest that failed to apply names the Work and the manifest": {
			old: []metav1.Condition{appliedCond, availableCond},
			outcome: outcome{works: []*placementv1beta1.Work{
				withManifest(withManifest(withManifest(
					work("crp-work", 4, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason, 4)),
					0, "a", cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 4)),
					1, "b", failedApply),
					2, "c", cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 4)),
			}},
			want: placementv1beta1.ResourceBindingStatus{
				Conditions: []metav1.Condition{
					bcond(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason,
						"Work object crp-work has failed to apply: ConfigMap test-ns/b (ManifestApplyFailed: admission webhook denied the request)"),
					overriddenCond, syncedCond,
				},
				FailedPlacements: []placementv1beta1.FailedResourcePlacement{{ResourceIdentifier: cmResource("b"), Condition: failedApply}},
			},
		},
		"an object that is not available yet": {
			outcome: outcome{works: []*placementv1beta1.Work{
				withManifest(withManifest(
					work("crp-work", 4, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, 4),
						cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAvailableReason, 4)),
					0, "a", cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 4),
					cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason, 4)),
					1, "b", cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.ManifestAppliedReason, 4), notAvailable),
			}},
			want: placementv1beta1.ResourceBindingStatus{
				Conditions: []metav1.Condition{
					overriddenCond, syncedCond, appliedCond,
					bcond(placementv1beta1.ResourceBindingAvailable, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAvailableReason,
						"Work object crp-work is not yet available: ConfigMap test-ns/b (ManifestNotAvailableYet)"),
				},
				FailedPlacements: []placementv1beta1.FailedResourcePlacement{{ResourceIdentifier: cmResource("b"), Condition: notAvailable}},
			},
		},
		"a drifted object of an applied Work": {
			outcome: outcome{works: []*placementv1beta1.Work{
				func() *placementv1beta1.Work {
					w := withManifest(work("crp-work", 1, appliedAndAvailable(1)...), 0, "a")
					w.Status.ManifestConditions[0].DriftDetails = drift
					return w
				}(),
			}},
			want: placementv1beta1.ResourceBindingStatus{
				Conditions: []metav1.Condition{overriddenCond, syncedCond, appliedCond, availableCond},
				DriftedPlacements: []placementv1beta1.DriftedResourcePlacement{{
					ResourceIdentifier: cmResource("a"), ObservationTime: testTime, FirstDriftedObservedTime: testTime,
					TargetClusterObservedGeneration: 7, ObservedDrifts: drift.ObservedDrifts,
				}},
			},
		},
		"ReportDiff: diffs not reported yet": {
			strategy: reportDiff,
			old:      []metav1.Condition{appliedCond, availableCond},
			outcome:  outcome{works: []*placementv1beta1.Work{work("crp-work", 1)}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond,
				bcond(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionFalse, placementv1beta1.BindingDiffReportInProgressReason,
					"Work object crp-work is being compared with the cluster: the member agent has not reported on its generation 1 yet"),
			}},
		},
		"ReportDiff: every Work reported its diffs": {
			strategy: reportDiff,
			outcome: outcome{works: []*placementv1beta1.Work{
				func() *placementv1beta1.Work {
					w := withManifest(work("crp-work", 1, cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsDiffReportedReason, 1)),
						0, "a", cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionTrue, placementv1beta1.ManifestFoundDiffReason, 1))
					w.Status.ManifestConditions[0].DiffDetails = diff
					return w
				}(),
			}},
			want: placementv1beta1.ResourceBindingStatus{
				Conditions: []metav1.Condition{
					overriddenCond, syncedCond,
					bcond(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionTrue, placementv1beta1.BindingAllWorkDiffReportedReason, allDiffReportedMessage),
				},
				DiffedPlacements: []placementv1beta1.DiffedResourcePlacement{{
					ResourceIdentifier: cmResource("a"), ObservationTime: testTime, FirstDiffedObservedTime: testTime,
					TargetClusterObservedGeneration: &memberGen, ObservedDiffs: diff.ObservedDiffs,
				}},
			},
		},
		"ReportDiff: a manifest that could not be compared": {
			strategy: reportDiff,
			outcome: outcome{works: []*placementv1beta1.Work{
				withManifest(work("crp-work", 1, cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsDiffReportedReason, 1)),
					0, "a", cond(placementv1beta1.WorkConditionTypeDiffReported, metav1.ConditionFalse, placementv1beta1.ManifestFailedToReportDiffReason, 1)),
			}},
			want: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
				overriddenCond, syncedCond,
				bcond(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkDiffReportedReason,
					"Work object crp-work has failed to report diff: ConfigMap test-ns/a (FailedToReportDiff)"),
			}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := boundBinding("crp", 1, 3)
			b.Spec.ApplyStrategy = tc.strategy
			b.Status.Conditions = tc.old
			got := computeStatus(b, tc.outcome)
			opts := []cmp.Option{
				cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime"),
				cmpopts.SortSlices(func(a, b metav1.Condition) bool { return a.Type < b.Type }),
			}
			if diff := cmp.Diff(tc.want, got, opts...); diff != "" {
				t.Errorf("computeStatus (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestComputeStatusKeepsTransitionTimes(t *testing.T) {
	b := boundBinding("crp", 1, 3)
	old := appliedCond
	old.LastTransitionTime = testTime
	old.ObservedGeneration = 2
	b.Status.Conditions = []metav1.Condition{old}
	got := computeStatus(b, outcome{works: []*placementv1beta1.Work{work("crp-work", 1, appliedAndAvailable(1)...)}})
	applied := got.Conditions[0]
	if applied.Type != old.Type || !applied.LastTransitionTime.Equal(&testTime) || applied.ObservedGeneration != 3 {
		t.Errorf("Applied after an unchanged report = %+v, want the old transition time at generation 3", applied)
	}
}

func TestFailedPlacementsAreBounded(t *testing.T) {
	w := work("crp-work", 1, cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason, 1))
	for i := range 150 {
		withManifest(w, i, fmt.Sprintf("cm-%d", i), cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason, 1))
	}
	got := computeStatus(boundBinding("crp", 1, 1), outcome{works: []*placementv1beta1.Work{w}})
	if n := len(got.FailedPlacements); n != maxPlacements {
		t.Errorf("failed placements = %d, want %d", n, maxPlacements)
	}
	if first := got.FailedPlacements[0].Name; first != "cm-0" {
		t.Errorf("first failed placement = %q, want cm-0 (manifest order)", first)
	}
	applied := meta.FindStatusCondition(got.Conditions, string(placementv1beta1.ResourceBindingApplied))
	want := "Work object crp-work has failed to apply: ConfigMap test-ns/cm-0 (ManifestApplyFailed), ConfigMap test-ns/cm-1 (ManifestApplyFailed), ConfigMap test-ns/cm-2 (ManifestApplyFailed) and 147 more"
	if applied.Message != want {
		t.Errorf("Applied message = %q, want %q", applied.Message, want)
	}
}
