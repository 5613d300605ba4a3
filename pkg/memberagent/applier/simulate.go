package applier

import (
	"errors"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

// AppliedStatus returns the status the work applier writes on work after a
// pass in which it applied every manifest and found each applied object
// ready, except the manifests failApply names (by ordinal), which failed to
// apply with the given message. Manifests that do not decode or map fail as
// they would on a member. Nothing is applied: a simulated member (make
// bench) reports with it exactly what a real member agent reports.
func AppliedStatus(work *placementv1beta1.Work, mapper meta.RESTMapper, failApply map[int]string, now metav1.Time) placementv1beta1.WorkStatus {
	manifests := decodeManifests(work, mapper)
	results := make([]*result, len(manifests))
	for i, m := range manifests {
		msg, fail := failApply[i]
		switch {
		case m.failure != nil:
			results[i] = m.failure
		case fail:
			results[i] = failed(placementv1beta1.ManifestApplyFailedReason, errors.New(msg), true)
		default:
			res := &result{reason: placementv1beta1.ManifestAppliedReason, message: "The manifest is applied", live: m.obj}
			// Simulated objects are ready at once: only kinds Flotilla
			// cannot track stay NotTrackable.
			res.availability, res.availabilityErr = availability.Check(m.obj)
			if res.availabilityErr == nil && res.availability != availability.NotTrackable {
				res.availability = availability.Available
			}
			results[i] = res
		}
	}
	return workStatus(work, manifests, results, false, now)
}
