package applier

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

// maxMessageLength bounds a condition message taken from an API error.
const maxMessageLength = 2048

// result is the outcome of processing one manifest.
type result struct {
	// reason is the reason of the manifest's Applied condition, or of its
	// DiffReported condition under ReportDiff.
	reason string
	// message explains reason; for failures it is the error's text.
	message string
	// transient is set on failures a retry may cure (API errors, kinds not
	// served yet), so the Work is retried with backoff. Failures that only a
	// change to the Work or to the object cures are not retried: those
	// changes trigger a new pass.
	transient bool
	// live is the object on the member cluster after processing; nil when it
	// does not exist.
	live *unstructured.Unstructured
	// availability of live, when the manifest was applied.
	availability availability.Result
	// availabilityErr is set when availability could not be judged.
	availabilityErr error
	// drifts are fields of an applied object changed on the member cluster.
	drifts []placementv1beta1.PatchDetail
	// diffs are fields in which the object differs from the manifest
	// (ReportDiff, or an object not taken over).
	diffs []placementv1beta1.PatchDetail
}

// failed returns the result of a manifest that could not be processed.
func failed(reason string, err error, transient bool) *result {
	return &result{reason: reason, message: truncate(err.Error()), transient: transient}
}

// applied reports whether the manifest's Applied condition is True.
func (r *result) applied() bool {
	return r.reason == placementv1beta1.ManifestAppliedReason ||
		r.reason == placementv1beta1.ManifestAppliedWithFailedDriftDetectionReason
}

// diffReported reports whether the manifest's DiffReported condition is True.
func (r *result) diffReported() bool {
	switch r.reason {
	case placementv1beta1.ManifestNoDiffFoundReason, placementv1beta1.ManifestFoundDiffReason,
		placementv1beta1.ManifestFoundDiffInDegradedModeReason:
		return true
	}
	return false
}

func truncate(s string) string {
	if len(s) <= maxMessageLength {
		return s
	}
	return s[:maxMessageLength-3] + "..."
}
