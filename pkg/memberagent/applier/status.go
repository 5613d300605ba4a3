package applier

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

// statusKey matches a manifest with its entry in the previous status: by the
// object it describes, or by ordinal when it could not be decoded.
type statusKey struct {
	identity
	ordinal int
}

func statusKeyOf(id placementv1beta1.WorkResourceIdentifier) statusKey {
	if id.Kind == "" {
		return statusKey{ordinal: id.Ordinal}
	}
	return statusKey{identity: identityOf(id), ordinal: -1}
}

// workStatus returns the Work's status after a pass: one ManifestCondition per
// manifest, in manifest order, and the Work-level conditions, all computed
// from the results. Conditions and drift/diff observation times carry over
// from the previous status where nothing changed, so an unchanged outcome
// yields an unchanged status.
func workStatus(work *placementv1beta1.Work, manifests []*manifest, results []*result, reportDiff bool, now metav1.Time) placementv1beta1.WorkStatus {
	prev := map[statusKey]*placementv1beta1.ManifestCondition{}
	for i := range work.Status.ManifestConditions {
		mc := &work.Status.ManifestConditions[i]
		prev[statusKeyOf(mc.Identifier)] = mc
	}
	status := placementv1beta1.WorkStatus{Conditions: slices.Clone(work.Status.Conditions)}
	if status.Conditions == nil {
		status.Conditions = []metav1.Condition{}
	}
	for i, m := range manifests {
		old := prev[statusKeyOf(m.id)]
		if old == nil {
			old = &placementv1beta1.ManifestCondition{}
		}
		status.ManifestConditions = append(status.ManifestConditions, manifestCondition(m, results[i], old, reportDiff, now))
	}
	setWorkConditions(&status, manifests, results, reportDiff, work.Generation)
	return status
}

// manifestCondition is the status entry of one manifest. Its conditions'
// observedGeneration is the object's generation on the member cluster.
func manifestCondition(m *manifest, res *result, old *placementv1beta1.ManifestCondition, reportDiff bool, now metav1.Time) placementv1beta1.ManifestCondition {
	mc := placementv1beta1.ManifestCondition{Identifier: m.id, Conditions: slices.Clone(old.Conditions)}
	if mc.Conditions == nil {
		mc.Conditions = []metav1.Condition{}
	}
	gen := generationOf(res.live)
	if reportDiff {
		meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeApplied))
		meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
		meta.SetStatusCondition(&mc.Conditions, metav1.Condition{
			Type:               string(placementv1beta1.WorkConditionTypeDiffReported),
			Status:             conditionStatus(res.diffReported()),
			Reason:             res.reason,
			Message:            res.message,
			ObservedGeneration: gen,
		})
		mc.DiffDetails = diffDetails(old.DiffDetails, res.diffs, res.live, now)
		return mc
	}

	meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeDiffReported))
	meta.SetStatusCondition(&mc.Conditions, metav1.Condition{
		Type:               string(placementv1beta1.WorkConditionTypeApplied),
		Status:             conditionStatus(res.applied()),
		Reason:             res.reason,
		Message:            res.message,
		ObservedGeneration: gen,
	})
	if res.applied() {
		meta.SetStatusCondition(&mc.Conditions, availableCondition(res, gen))
	} else {
		meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
	}
	mc.DriftDetails = driftDetails(old.DriftDetails, res.drifts, gen, now)
	mc.DiffDetails = diffDetails(old.DiffDetails, res.diffs, res.live, now)
	return mc
}

func availableCondition(res *result, gen int64) metav1.Condition {
	c := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeAvailable), ObservedGeneration: gen}
	switch {
	case res.availabilityErr != nil:
		c.Status, c.Reason = metav1.ConditionFalse, placementv1beta1.ManifestAvailabilityCheckFailedReason
		c.Message = truncate(fmt.Sprintf("Failed to check the availability of the object: %v", res.availabilityErr))
	case res.availability == availability.Available:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, placementv1beta1.ManifestAvailableReason, "The object is available"
	case res.availability == availability.NotTrackable:
		c.Status, c.Reason = metav1.ConditionTrue, placementv1beta1.ManifestNotTrackableReason
		c.Message = "Fleet cannot track the availability of this kind of object and counts it as available"
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, placementv1beta1.ManifestNotAvailableYetReason, "The object is not available yet"
	}
	return c
}

// driftDetails reports drifts, keeping when they were first seen, and when
// they were last seen if they did not change.
func driftDetails(old *placementv1beta1.DriftDetails, drifts []placementv1beta1.PatchDetail, gen int64, now metav1.Time) *placementv1beta1.DriftDetails {
	if len(drifts) == 0 {
		return nil
	}
	d := &placementv1beta1.DriftDetails{ObservationTime: now, FirstDriftedObservedTime: now, ObservedInMemberClusterGeneration: gen, ObservedDrifts: drifts}
	if old != nil {
		d.FirstDriftedObservedTime = old.FirstDriftedObservedTime
		if old.ObservedInMemberClusterGeneration == gen && equality.Semantic.DeepEqual(old.ObservedDrifts, drifts) {
			d.ObservationTime = old.ObservationTime
		}
	}
	return d
}

// diffDetails reports diffs like driftDetails does drifts; the generation is
// unset when the object does not exist.
func diffDetails(old *placementv1beta1.DiffDetails, diffs []placementv1beta1.PatchDetail, live *unstructured.Unstructured, now metav1.Time) *placementv1beta1.DiffDetails {
	if len(diffs) == 0 {
		return nil
	}
	var gen *int64
	if live != nil {
		gen = ptr.To(live.GetGeneration())
	}
	d := &placementv1beta1.DiffDetails{ObservationTime: now, FirstDiffedObservedTime: now, ObservedInMemberClusterGeneration: gen, ObservedDiffs: diffs}
	if old != nil {
		d.FirstDiffedObservedTime = old.FirstDiffedObservedTime
		if ptr.Equal(old.ObservedInMemberClusterGeneration, gen) && equality.Semantic.DeepEqual(old.ObservedDiffs, diffs) {
			d.ObservationTime = old.ObservationTime
		}
	}
	return d
}

// setWorkConditions derives the Work-level conditions from the manifests'
// results, at the Work's generation.
func setWorkConditions(status *placementv1beta1.WorkStatus, manifests []*manifest, results []*result, reportDiff bool, gen int64) {
	total := len(results)
	if reportDiff {
		meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeApplied))
		meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
		c := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeDiffReported), ObservedGeneration: gen}
		reported, first := count(results, (*result).diffReported)
		if reported == total {
			c.Status, c.Reason = metav1.ConditionTrue, placementv1beta1.WorkAllManifestsDiffReportedReason
			c.Message = fmt.Sprintf("All %d manifests were compared with the member cluster", total)
		} else {
			c.Status, c.Reason = metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsDiffReportedReason
			c.Message = fmt.Sprintf("%d of %d manifests were compared with the member cluster; %s: %s", reported, total, describeManifest(manifests[first]), results[first].message)
		}
		meta.SetStatusCondition(&status.Conditions, c)
		return
	}

	meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeDiffReported))
	applied := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeApplied), ObservedGeneration: gen}
	appliedCount, first := count(results, (*result).applied)
	if appliedCount < total {
		applied.Status, applied.Reason = metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason
		applied.Message = truncate(fmt.Sprintf("%d of %d manifests are applied; %s: %s", appliedCount, total, describeManifest(manifests[first]), results[first].message))
		meta.SetStatusCondition(&status.Conditions, applied)
		// Availability is only reported once everything is applied.
		meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
		return
	}
	applied.Status, applied.Reason = metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason
	applied.Message = fmt.Sprintf("All %d manifests are applied", total)
	meta.SetStatusCondition(&status.Conditions, applied)

	available := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeAvailable), ObservedGeneration: gen}
	var ready, untrackable int
	notReady := -1
	for i, res := range results {
		switch {
		case res.availabilityErr != nil:
		case res.availability == availability.Available:
			ready++
			continue
		case res.availability == availability.NotTrackable:
			untrackable++
			continue
		}
		if notReady < 0 {
			notReady = i
		}
	}
	switch {
	case notReady >= 0:
		available.Status, available.Reason = metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAvailableReason
		available.Message = fmt.Sprintf("%d of %d applied objects are available; %s is not available yet", ready+untrackable, total, describeManifest(manifests[notReady]))
	case untrackable > 0:
		available.Status, available.Reason = metav1.ConditionTrue, placementv1beta1.WorkNotAllManifestsTrackableReason
		available.Message = fmt.Sprintf("All applied objects are available or cannot be tracked (%d cannot be tracked)", untrackable)
	default:
		available.Status, available.Reason = metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason
		available.Message = fmt.Sprintf("All %d applied objects are available", total)
	}
	meta.SetStatusCondition(&status.Conditions, available)
}

// count returns how many results satisfy ok, and the index of the first that
// does not (-1 when all do).
func count(results []*result, ok func(*result) bool) (int, int) {
	n, first := 0, -1
	for i, r := range results {
		if ok(r) {
			n++
		} else if first < 0 {
			first = i
		}
	}
	return n, first
}

// describeManifest names a manifest in messages: "manifest 2 (ConfigMap app/cm)".
func describeManifest(m *manifest) string {
	if m.id.Kind == "" {
		return fmt.Sprintf("manifest %d", m.id.Ordinal)
	}
	name := m.id.Name
	if m.id.Namespace != "" {
		name = m.id.Namespace + "/" + name
	}
	return fmt.Sprintf("manifest %d (%s %s)", m.id.Ordinal, m.id.Kind, name)
}

func conditionStatus(ok bool) metav1.ConditionStatus {
	if ok {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

func generationOf(obj *unstructured.Unstructured) int64 {
	if obj == nil {
		return 0
	}
	return obj.GetGeneration()
}
