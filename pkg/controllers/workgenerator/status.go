package workgenerator

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// maxPlacements is the most failed, drifted or diffed placements a binding
// lists of each kind (the API's MaxItems).
const maxPlacements = 100

// maxNamedManifests is the most manifests a condition message names.
const maxNamedManifests = 3

// Condition messages.
const (
	noOverrideMessage      = "No override rules are configured for the selected resources"
	syncFailedMessage      = "Failed to synchronize the work to the latest: %s"
	allSyncedMessage       = "All of the works are synchronized to the latest"
	applyInProgressMessage = "Work object %s is being applied: the member agent has not reported on its generation %d yet"
	applyFailedMessage     = "Work object %s has failed to apply: %s"
	allAppliedMessage      = "All corresponding work objects are applied"
	availableCheckMessage  = "Work object %s has not completed the availability check of its generation %d yet"
	notAvailableMessage    = "Work object %s is not yet available: %s"
	untrackableMessage     = "The availability of work object %s is not trackable"
	allAvailableMessage    = "All corresponding work objects are available"
	diffInProgressMessage  = "Work object %s is being compared with the cluster: the member agent has not reported on its generation %d yet"
	diffFailedMessage      = "Work object %s has failed to report diff: %s"
	allDiffReportedMessage = "All corresponding work objects have reported diff"
)

// computeStatus returns the binding's new status after a pass with outcome
// o. Every condition it writes carries the binding's generation;
// RolloutStarted, which the rollout writes, is kept as it is, unless o says
// the decision is implied: then it is True at the binding's generation.
//
//   - Overridden is always True: there are no override types yet.
//   - WorkSynchronized is False (SyncWorkFailed, or WorkNotSynchronizedYet
//     while something is awaited) when the Works could not be brought up to
//     date; Applied, Available and DiffReported are then removed.
//   - Otherwise WorkSynchronized is True and the Works' own reports are
//     summed up: Applied and Available, or DiffReported under the ReportDiff
//     apply strategy (see appliedStatus and diffStatus).
func computeStatus(b *placementv1beta1.ClusterResourceBinding, o outcome) placementv1beta1.ResourceBindingStatus {
	st := placementv1beta1.ResourceBindingStatus{Conditions: slices.Clone(b.Status.Conditions)}
	set := func(t placementv1beta1.ResourceBindingConditionType, s metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: string(t), Status: s, Reason: reason, Message: message, ObservedGeneration: b.Generation,
		})
	}
	remove := func(ts ...placementv1beta1.ResourceBindingConditionType) {
		for _, t := range ts {
			meta.RemoveStatusCondition(&st.Conditions, string(t))
		}
	}

	if o.started {
		// Removed first, so that the transition time says when this
		// generation's rollout started.
		meta.RemoveStatusCondition(&st.Conditions, string(placementv1beta1.ResourceBindingRolloutStarted))
		meta.SetStatusCondition(&st.Conditions, *impliedStart(b))
	}
	set(placementv1beta1.ResourceBindingOverridden, metav1.ConditionTrue, placementv1beta1.BindingOverrideNotSpecifiedReason, noOverrideMessage)
	switch {
	case o.failure != "":
		set(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingSyncWorkFailedReason, fmt.Sprintf(syncFailedMessage, o.failure))
	case o.pending != "":
		set(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionFalse, placementv1beta1.BindingWorkNotSynchronizedYetReason, o.pending)
	default:
		set(placementv1beta1.ResourceBindingWorkSynchronized, metav1.ConditionTrue, placementv1beta1.BindingAllWorkSyncedReason, allSyncedMessage)
	}
	if o.failure != "" || o.pending != "" {
		remove(placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable, placementv1beta1.ResourceBindingDiffReported)
		return st
	}

	works := slices.Clone(o.works)
	slices.SortFunc(works, func(a, b *placementv1beta1.Work) int { return cmp.Compare(a.Name, b.Name) })
	if s := b.Spec.ApplyStrategy; s != nil && s.Type == placementv1beta1.ApplyStrategyTypeReportDiff {
		remove(placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable)
		diffStatus(&st, works, set)
	} else {
		remove(placementv1beta1.ResourceBindingDiffReported)
		appliedStatus(&st, works, set, remove)
	}
	return st
}

// conditionSetter sets one binding condition at the binding's generation.
type conditionSetter func(t placementv1beta1.ResourceBindingConditionType, s metav1.ConditionStatus, reason, message string)

// appliedStatus sums the Works' Applied and Available reports up.
//
// Applied is False with ApplyInProgress while a Work has no Applied report
// at its generation (a Work just written never has), False with
// NotAllWorkHaveBeenApplied naming the first failed Work and its failed
// manifests, and True when every Work is applied. Available is only set
// once Applied is True: True when every Work is available (with
// NotAllWorkAreAvailabilityTrackable when some cannot be tracked), False
// otherwise.
//
// The placements only come from reports that are complete, so that what a
// previous generation reported does not leak in: failed placements when
// some Work failed to apply or is not available, drifted placements once
// every Work reported on the apply, diffed placements (objects not taken
// over because they differ) when some Work failed to apply.
func appliedStatus(st *placementv1beta1.ResourceBindingStatus, works []*placementv1beta1.Work, set conditionSetter, remove func(...placementv1beta1.ResourceBindingConditionType)) {
	applied := summarize(works, placementv1beta1.WorkConditionTypeApplied)
	switch applied.progress {
	case progressIncomplete:
		set(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingApplyInProgressReason,
			fmt.Sprintf(applyInProgressMessage, applied.first.Name, applied.first.Generation))
		remove(placementv1beta1.ResourceBindingAvailable)
		return
	case progressFailed:
		set(placementv1beta1.ResourceBindingApplied, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason,
			fmt.Sprintf(applyFailedMessage, applied.first.Name, describeFailures(applied.first, placementv1beta1.WorkConditionTypeApplied)))
		remove(placementv1beta1.ResourceBindingAvailable)
		st.FailedPlacements = failedPlacements(works)
		st.DriftedPlacements = driftedPlacements(works)
		st.DiffedPlacements = diffedPlacements(works)
		return
	}
	set(placementv1beta1.ResourceBindingApplied, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAppliedReason, allAppliedMessage)
	st.DriftedPlacements = driftedPlacements(works)

	available := summarize(works, placementv1beta1.WorkConditionTypeAvailable)
	switch {
	case available.progress == progressIncomplete:
		set(placementv1beta1.ResourceBindingAvailable, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAvailableReason,
			fmt.Sprintf(availableCheckMessage, available.first.Name, available.first.Generation))
	case available.progress == progressFailed:
		set(placementv1beta1.ResourceBindingAvailable, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAvailableReason,
			fmt.Sprintf(notAvailableMessage, available.first.Name, describeFailures(available.first, placementv1beta1.WorkConditionTypeAvailable)))
		st.FailedPlacements = failedPlacements(works)
	case available.untrackable != nil:
		set(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason,
			fmt.Sprintf(untrackableMessage, available.untrackable.Name))
	default:
		set(placementv1beta1.ResourceBindingAvailable, metav1.ConditionTrue, placementv1beta1.BindingAllWorkAvailableReason, allAvailableMessage)
	}
}

// diffStatus sums the Works' DiffReported reports up (ReportDiff apply
// strategy): False with DiffReportInProgress while a Work has no report at
// its generation, False with NotAllWorkHaveDiffReported when one failed,
// True with the diffed placements once every Work reported.
func diffStatus(st *placementv1beta1.ResourceBindingStatus, works []*placementv1beta1.Work, set conditionSetter) {
	reported := summarize(works, placementv1beta1.WorkConditionTypeDiffReported)
	switch reported.progress {
	case progressIncomplete:
		set(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionFalse, placementv1beta1.BindingDiffReportInProgressReason,
			fmt.Sprintf(diffInProgressMessage, reported.first.Name, reported.first.Generation))
	case progressFailed:
		set(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkDiffReportedReason,
			fmt.Sprintf(diffFailedMessage, reported.first.Name, describeFailures(reported.first, placementv1beta1.WorkConditionTypeDiffReported)))
	default:
		set(placementv1beta1.ResourceBindingDiffReported, metav1.ConditionTrue, placementv1beta1.BindingAllWorkDiffReportedReason, allDiffReportedMessage)
		st.DiffedPlacements = diffedPlacements(works)
	}
}

// progress is how far a set of Works has got on one condition type.
type progress int

const (
	// progressDone: every Work reported True at its generation.
	progressDone progress = iota
	// progressIncomplete: some Work has no report at its generation.
	progressIncomplete
	// progressFailed: every Work reported at its generation, some False.
	progressFailed
)

// workSummary is where a set of Works stands on one condition type.
type workSummary struct {
	progress progress
	// first is the first Work (by name) holding the progress back: the first
	// without a report when incomplete, the first False one when failed.
	first *placementv1beta1.Work
	// untrackable is the first Work whose Available is True only because
	// some objects cannot be tracked.
	untrackable *placementv1beta1.Work
}

// summarize sums up the Works' conditions of type t, counting only those
// written for the Work's current generation.
func summarize(works []*placementv1beta1.Work, t placementv1beta1.WorkConditionType) workSummary {
	var s workSummary
	var firstFailed *placementv1beta1.Work
	for _, w := range works {
		c := currentCondition(w, t)
		switch {
		case c == nil || c.Status == metav1.ConditionUnknown:
			if s.first == nil {
				s.first = w
			}
		case c.Status == metav1.ConditionFalse:
			if firstFailed == nil {
				firstFailed = w
			}
		case c.Reason == placementv1beta1.WorkNotAllManifestsTrackableReason ||
			c.Reason == placementv1beta1.WorkNotAllManifestsAvailabilityTrackableReason:
			if s.untrackable == nil {
				s.untrackable = w
			}
		}
	}
	switch {
	case s.first != nil:
		s.progress = progressIncomplete
	case firstFailed != nil:
		s.progress, s.first = progressFailed, firstFailed
	}
	return s
}

// currentCondition returns the Work's condition of type t when it was
// written for the Work's current generation, and nil otherwise.
func currentCondition(w *placementv1beta1.Work, t placementv1beta1.WorkConditionType) *metav1.Condition {
	c := meta.FindStatusCondition(w.Status.Conditions, string(t))
	if c == nil || c.ObservedGeneration != w.Generation {
		return nil
	}
	return c
}

// describeFailures names the first manifests of w whose condition of type
// t is False, with the reason (and message) of each; without any it falls
// back to the message of w's own condition.
func describeFailures(w *placementv1beta1.Work, t placementv1beta1.WorkConditionType) string {
	var parts []string
	count := 0
	for _, mc := range w.Status.ManifestConditions {
		c := meta.FindStatusCondition(mc.Conditions, string(t))
		if c == nil || c.Status != metav1.ConditionFalse {
			continue
		}
		count++
		if count > maxNamedManifests {
			continue
		}
		part := fmt.Sprintf("%s (%s", describeManifest(mc.Identifier), c.Reason)
		if c.Message != "" {
			part += ": " + c.Message
		}
		parts = append(parts, part+")")
	}
	if count == 0 {
		if c := meta.FindStatusCondition(w.Status.Conditions, string(t)); c != nil && c.Message != "" {
			return c.Message
		}
		return "no manifest reported the failure"
	}
	out := strings.Join(parts, ", ")
	if count > maxNamedManifests {
		out += fmt.Sprintf(" and %d more", count-maxNamedManifests)
	}
	return out
}

// describeManifest names a manifest for a message: "ConfigMap ns/name",
// "Namespace name", or "manifest #<ordinal>" when the object is unknown.
func describeManifest(id placementv1beta1.WorkResourceIdentifier) string {
	name := id.Name
	if id.Namespace != "" {
		name = id.Namespace + "/" + name
	}
	if id.Kind == "" || id.Name == "" {
		return fmt.Sprintf("manifest #%d", id.Ordinal)
	}
	return id.Kind + " " + name
}

// resourceIdentifier converts a manifest's identifier into the binding's form.
func resourceIdentifier(id placementv1beta1.WorkResourceIdentifier) placementv1beta1.ResourceIdentifier {
	return placementv1beta1.ResourceIdentifier{
		Group: id.Group, Version: id.Version, Kind: id.Kind, Name: id.Name, Namespace: id.Namespace,
	}
}

// failedPlacements lists, from the Works whose Applied or Available is False
// at their generation, the manifests whose Applied (or else Available)
// condition is False, with that condition; at most maxPlacements.
func failedPlacements(works []*placementv1beta1.Work) []placementv1beta1.FailedResourcePlacement {
	var out []placementv1beta1.FailedResourcePlacement
	for _, w := range works {
		applied := currentCondition(w, placementv1beta1.WorkConditionTypeApplied)
		available := currentCondition(w, placementv1beta1.WorkConditionTypeAvailable)
		if (applied == nil || applied.Status != metav1.ConditionFalse) && (available == nil || available.Status != metav1.ConditionFalse) {
			continue
		}
		for _, mc := range w.Status.ManifestConditions {
			c := meta.FindStatusCondition(mc.Conditions, string(placementv1beta1.WorkConditionTypeApplied))
			if c == nil || c.Status != metav1.ConditionFalse {
				c = meta.FindStatusCondition(mc.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
			}
			if c == nil || c.Status != metav1.ConditionFalse {
				continue
			}
			if len(out) == maxPlacements {
				return out
			}
			out = append(out, placementv1beta1.FailedResourcePlacement{ResourceIdentifier: resourceIdentifier(mc.Identifier), Condition: *c})
		}
	}
	return out
}

// driftedPlacements lists the manifests the member agent found drifted; at
// most maxPlacements.
func driftedPlacements(works []*placementv1beta1.Work) []placementv1beta1.DriftedResourcePlacement {
	var out []placementv1beta1.DriftedResourcePlacement
	for _, w := range works {
		for _, mc := range w.Status.ManifestConditions {
			d := mc.DriftDetails
			if d == nil {
				continue
			}
			if len(out) == maxPlacements {
				return out
			}
			out = append(out, placementv1beta1.DriftedResourcePlacement{
				ResourceIdentifier:              resourceIdentifier(mc.Identifier),
				ObservationTime:                 d.ObservationTime,
				TargetClusterObservedGeneration: d.ObservedInMemberClusterGeneration,
				FirstDriftedObservedTime:        d.FirstDriftedObservedTime,
				ObservedDrifts:                  slices.Clone(d.ObservedDrifts),
			})
		}
	}
	return out
}

// diffedPlacements lists the manifests the member agent found different
// from the cluster's objects; at most maxPlacements.
func diffedPlacements(works []*placementv1beta1.Work) []placementv1beta1.DiffedResourcePlacement {
	var out []placementv1beta1.DiffedResourcePlacement
	for _, w := range works {
		for _, mc := range w.Status.ManifestConditions {
			d := mc.DiffDetails
			if d == nil {
				continue
			}
			if len(out) == maxPlacements {
				return out
			}
			var gen *int64
			if d.ObservedInMemberClusterGeneration != nil {
				g := *d.ObservedInMemberClusterGeneration
				gen = &g
			}
			out = append(out, placementv1beta1.DiffedResourcePlacement{
				ResourceIdentifier:              resourceIdentifier(mc.Identifier),
				ObservationTime:                 d.ObservationTime,
				TargetClusterObservedGeneration: gen,
				FirstDiffedObservedTime:         d.FirstDiffedObservedTime,
				ObservedDiffs:                   slices.Clone(d.ObservedDiffs),
			})
		}
	}
	return out
}
