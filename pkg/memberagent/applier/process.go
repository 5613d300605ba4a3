package applier

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

// FieldManager is the server-side apply field manager of everything the
// member agent applies (the name KubeFleet's work applier uses).
const FieldManager = "work-api-agent"

// Apply strategies.
//
// ServerSideApply applies the manifest with server-side apply under
// FieldManager, forcing conflicts only when serverSideApplyConfig.force says so.
//
// ClientSideApply is approximated with server-side apply, always forcing
// conflicts. KubeFleet runs a client-side three-way merge (like `kubectl
// apply`) and keeps the last applied configuration in an annotation. The
// outcome is the same for the common cases — fields the manifest sets are
// overwritten whoever set them, fields removed from the manifest are removed
// from the object, fields only others set are kept — with these differences:
//   - no last-applied-configuration annotation is written, and one written by
//     KubeFleet or kubectl is neither read nor updated; removal of fields is
//     driven by the field manager's managed fields instead, so a field the
//     agent never applied is never removed, even if an old annotation lists it;
//   - lists are merged as their schema says for server-side apply
//     (x-kubernetes-list-type), which for built-in kinds matches the strategic
//     merge keys, and for custom resources without list markers replaces the
//     whole list, as a JSON merge patch does;
//   - a field another manager sets to the same value becomes shared rather
//     than silently owned.
//
// ReportDiff applies nothing: it only compares (see compare.go).

// process applies one manifest to the member cluster, or compares it with
// the live object, as the strategy says.
func (r *Reconciler) process(ctx context.Context, m *manifest, aw *placementv1beta1.AppliedWork, s placementv1beta1.ApplyStrategy) *result {
	if m.failure != nil {
		return m.failure
	}
	live, err := r.member.Resource(m.gvr).Namespace(m.id.Namespace).Get(ctx, m.id.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return failed(placementv1beta1.ManifestFailedToFindObjInMemberClusterReason, fmt.Errorf("reading the object on the member cluster: %w", err), true)
	}

	if s.Type == placementv1beta1.ApplyStrategyTypeReportDiff {
		return r.reportDiff(ctx, m, aw, live, s)
	}

	// Objects that exist without Fleet's ownership are taken over only as
	// whenToTakeOver allows.
	decision, why := decideOwnership(live, aw.UID, s)
	switch decision {
	case leaveAlone:
		return &result{reason: placementv1beta1.ManifestNotTakenOverReason, message: why, live: live}
	case refuse:
		reason := placementv1beta1.ManifestFailedToTakeOverReason
		if ownedBy(live, aw.UID) {
			reason = placementv1beta1.ManifestApplyFailedReason
		}
		return &result{reason: reason, message: why, live: live}
	case takeOverIfNoDiff:
		diffs, _, err := r.compare(ctx, m, aw, live, s)
		if err != nil {
			res := failed(placementv1beta1.ManifestFailedToTakeOverReason, fmt.Errorf("comparing the existing object with the manifest: %w", err), true)
			res.live = live
			return res
		}
		if len(diffs) > 0 {
			return &result{
				reason:  placementv1beta1.ManifestFailedToTakeOverReason,
				message: "The object already exists on the member cluster and differs from the manifest; whenToTakeOver is IfNoDiff, so it is not taken over",
				live:    live,
				diffs:   diffs,
			}
		}
	}

	// With IfNotDrifted, an object that still carries this very manifest
	// (same hash) but differs from it was changed on the member: report the
	// drift instead of overwriting it. A new manifest from the hub is
	// applied even over drift, as in KubeFleet.
	if decision == apply && live != nil && s.WhenToApply == placementv1beta1.WhenToApplyTypeIfNotDrifted &&
		live.GetAnnotations()[placementv1beta1.ManifestHashAnnotation] == m.hash {
		drifts, degraded, err := r.compare(ctx, m, aw, live, s)
		if err != nil {
			res := failed(placementv1beta1.ManifestFailedToRunDriftDetectionReason, fmt.Errorf("comparing the object with the manifest: %w", err), true)
			res.live = live
			return res
		}
		if len(drifts) > 0 {
			reason := placementv1beta1.ManifestFoundDriftsReason
			if degraded {
				reason = placementv1beta1.ManifestFoundDriftsInDegradedModeReason
			}
			return &result{
				reason:  reason,
				message: "The object was changed on the member cluster since Fleet applied it; whenToApply is IfNotDrifted, so the manifest is not applied until the drift is undone",
				live:    live,
				drifts:  drifts,
			}
		}
	}

	applied, err := r.apply(ctx, m, aw, forceConflicts(s), false)
	if err != nil {
		return &result{
			reason:    placementv1beta1.ManifestApplyFailedReason,
			message:   truncate(fmt.Sprintf("Failed to apply the manifest: %v", err)),
			transient: retriable(err),
			live:      live,
		}
	}
	out := &result{reason: placementv1beta1.ManifestAppliedReason, message: "The manifest is applied", live: applied}
	if s.ComparisonOption == placementv1beta1.ComparisonOptionTypeFullComparison {
		// The apply just set every field of the manifest; what remains are
		// fields only the member sets.
		out.drifts = extraFields(m.obj.Object, applied.Object)
	}
	out.availability, out.availabilityErr = availability.Check(applied)
	return out
}

// reportDiff compares the manifest with the live object without changing anything.
func (r *Reconciler) reportDiff(ctx context.Context, m *manifest, aw *placementv1beta1.AppliedWork, live *unstructured.Unstructured, s placementv1beta1.ApplyStrategy) *result {
	if live == nil {
		return &result{
			reason:  placementv1beta1.ManifestFoundDiffReason,
			message: "The object does not exist on the member cluster",
			diffs:   missingObjectDiff(),
		}
	}
	diffs, degraded, err := r.compare(ctx, m, aw, live, s)
	switch {
	case err != nil:
		res := failed(placementv1beta1.ManifestFailedToReportDiffReason, fmt.Errorf("comparing the object with the manifest: %w", err), true)
		res.live = live
		return res
	case len(diffs) == 0:
		return &result{reason: placementv1beta1.ManifestNoDiffFoundReason, message: "The object matches the manifest", live: live}
	case degraded:
		return &result{reason: placementv1beta1.ManifestFoundDiffInDegradedModeReason,
			message: "The object differs from the manifest (compared without a dry run: the member cluster rejects the manifest)", live: live, diffs: diffs}
	default:
		return &result{reason: placementv1beta1.ManifestFoundDiffReason, message: "The object differs from the manifest", live: live, diffs: diffs}
	}
}

// compare returns how live differs from the manifest, as the strategy's
// comparison option says. degraded is set when the member cluster rejected
// the dry run and the raw manifest was compared instead.
func (r *Reconciler) compare(ctx context.Context, m *manifest, aw *placementv1beta1.AppliedWork, live *unstructured.Unstructured, s placementv1beta1.ApplyStrategy) ([]placementv1beta1.PatchDetail, bool, error) {
	full := s.ComparisonOption == placementv1beta1.ComparisonOptionTypeFullComparison
	dryRun, err := r.apply(ctx, m, aw, true, true)
	switch {
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		diffs := diffSetFields(m.obj.Object, live.Object)
		if full {
			diffs = mergeDetails(diffs, extraFields(m.obj.Object, live.Object))
		}
		return diffs, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("dry-run apply: %w", err)
	case full:
		return fullDiff(m.obj.Object, dryRun.Object, live.Object), false, nil
	default:
		return partialDiff(dryRun.Object, live.Object), false, nil
	}
}

// apply server-side applies the manifest, with an owner reference to aw and
// the manifest's hash, under FieldManager.
func (r *Reconciler) apply(ctx context.Context, m *manifest, aw *placementv1beta1.AppliedWork, force, dryRun bool) (*unstructured.Unstructured, error) {
	cfg := m.obj.DeepCopy()
	// Owner references merge by UID under server-side apply, so other
	// owners' references are kept.
	cfg.SetOwnerReferences([]metav1.OwnerReference{ownerRefTo(aw)})
	annotations := cfg.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[placementv1beta1.ManifestHashAnnotation] = m.hash
	cfg.SetAnnotations(annotations)
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: force}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.member.Resource(m.gvr).Namespace(m.id.Namespace).Apply(ctx, m.id.Name, cfg, opts)
}

// retriable reports whether a failed apply may succeed later without a
// change to the manifest: everything but a rejection of the manifest itself.
func retriable(err error) bool {
	return !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) && !apierrors.IsMethodNotSupported(err)
}
