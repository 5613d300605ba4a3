package v1beta1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Annotations the member agent keeps on the objects it applies.
const (
	// ManifestHashAnnotation holds a hash of the manifest last applied to an
	// object, so the agent can tell whether the hub's copy has changed.
	ManifestHashAnnotation = fleetPrefix + "spec-hash"
	// LastAppliedConfigAnnotation holds the configuration last applied with
	// client-side apply, the base of the next three-way merge.
	LastAppliedConfigAnnotation = fleetPrefix + "last-applied-configuration"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Namespaced,categories={fleet,fleet-placement}
// +kubebuilder:subresource:status

// Work carries the manifests one member cluster should run, as the work
// generator rendered them from a binding's resource snapshot (overrides
// applied). It lives on the hub in the cluster's namespace,
// fleet-member-<cluster>; the member agent of that cluster applies the
// manifests and reports per-manifest results back in the status.
type Work struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec holds the manifests and how to apply them.
	// +optional
	Spec WorkSpec `json:"spec,omitempty"`

	// status is written by the member agent: the overall outcome and one
	// entry per manifest.
	// +optional
	Status WorkStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// WorkList is a list of Work.
type WorkList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Work `json:"items"`
}

// WorkSpec is what the member agent should apply.
type WorkSpec struct {
	// workload holds the manifests to apply on the member cluster.
	// +optional
	Workload WorkloadTemplate `json:"workload,omitempty"`

	// applyStrategy says how the agent applies the manifests (client-side,
	// server-side or report-diff only) and how it treats objects that
	// already exist or have drifted. Copied from the binding.
	// +optional
	ApplyStrategy *ApplyStrategy `json:"applyStrategy,omitempty"`

	// reportBackStrategy says whether, and where, the agent copies the status
	// of the applied objects back to the hub. Mirror needs a destination.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.type != 'Mirror' || (has(self.destination) && size(self.destination) > 0)",message="A destination is required when type for ReportBackStrategy is 'Mirror'"
	ReportBackStrategy *ReportBackStrategy `json:"reportBackStrategy,omitempty"`
}

// WorkloadTemplate is the set of manifests of a Work.
type WorkloadTemplate struct {
	// manifests are complete Kubernetes objects, applied in order.
	// +optional
	Manifests []Manifest `json:"manifests,omitempty"`
}

// Manifest is one Kubernetes object to apply, kept verbatim.
type Manifest struct {
	// +kubebuilder:validation:EmbeddedResource
	// +kubebuilder:pruning:PreserveUnknownFields
	runtime.RawExtension `json:",inline"`
}

// WorkStatus is what the member agent observed after processing a Work.
type WorkStatus struct {
	// conditions are Applied and Available (apply strategies that write) or
	// DiffReported (ReportDiff), plus StatusTrimmed when the agent had to
	// shorten the status to fit the object size limit. Their
	// observedGeneration is the Work's generation.
	// +required
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`

	// manifestConditions has one entry per manifest, saying how applying,
	// tracking or diffing that object went.
	// +optional
	ManifestConditions []ManifestCondition `json:"manifestConditions,omitempty"`
}

// WorkResourceIdentifier names the object a manifest describes. Ordinal is
// always set, so a result can be tied to a manifest even when the manifest
// could not be decoded; the other fields are set once they are known.
type WorkResourceIdentifier struct {
	// ordinal is the manifest's index in spec.workload.manifests.
	// +required
	Ordinal int `json:"ordinal"`

	// group is the object's API group ("" for the core group).
	// +optional
	Group string `json:"group,omitempty"`

	// version is the object's API version.
	// +optional
	Version string `json:"version,omitempty"`

	// kind is the object's kind.
	// +optional
	Kind string `json:"kind,omitempty"`

	// resource is the object's resource (plural) name on the member cluster.
	// +optional
	Resource string `json:"resource,omitempty"`

	// namespace is the object's namespace; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// name is the object's name.
	// +optional
	Name string `json:"name,omitempty"`
}

// DriftDetails reports that an object Fleet owns was changed on the member
// cluster away from what the hub's manifest says (ClientSideApply and
// ServerSideApply only; never set together with DiffDetails).
type DriftDetails struct {
	// observationTime is when the agent last saw the drift.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	ObservationTime metav1.Time `json:"observationTime"`

	// observedInMemberClusterGeneration is the object's generation on the
	// member cluster when the drift was seen.
	// +required
	ObservedInMemberClusterGeneration int64 `json:"observedInMemberClusterGeneration"`

	// firstDriftedObservedTime is when the agent first saw the drift.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	FirstDriftedObservedTime metav1.Time `json:"firstDriftedObservedTime"`

	// observedDrifts lists the drifted fields, comparing the member cluster's
	// value with the hub's; the agent may shorten the list to keep the
	// object small.
	// +optional
	ObservedDrifts []PatchDetail `json:"observedDrifts,omitempty"`
}

// DiffDetails reports how an object on the member cluster differs from the
// hub's manifest: either under the ReportDiff apply strategy, or for an
// existing object Fleet does not own yet (never set together with DriftDetails).
type DiffDetails struct {
	// observationTime is when the agent last computed the differences.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	ObservationTime metav1.Time `json:"observationTime"`

	// observedInMemberClusterGeneration is the object's generation on the
	// member cluster; null when the object does not exist there yet.
	// +optional
	ObservedInMemberClusterGeneration *int64 `json:"observedInMemberClusterGeneration"`

	// firstDiffedObservedTime is when the agent first found differences.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	FirstDiffedObservedTime metav1.Time `json:"firstDiffedObservedTime"`

	// observedDiffs lists the differing fields, comparing the member
	// cluster's value with the hub's; the agent may shorten the list to keep
	// the object small.
	// +optional
	ObservedDiffs []PatchDetail `json:"observedDiffs,omitempty"`
}

// BackReportedStatus is the status of an applied object, copied back from
// the member cluster when the Work's report-back strategy asks for it.
type BackReportedStatus struct {
	// observedStatus is the object's status as found on the member cluster.
	// +optional
	// +kubebuilder:validation:EmbeddedResource
	// +kubebuilder:pruning:PreserveUnknownFields
	ObservedStatus runtime.RawExtension `json:"observedStatus,omitempty"`

	// observationTime is when the status was last copied.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	ObservationTime metav1.Time `json:"observationTime"`

	// observedInMemberClusterGeneration is the object's generation on the
	// member cluster when its status was copied.
	// +optional
	ObservedInMemberClusterGeneration int64 `json:"observedInMemberClusterGeneration"`
}

// ManifestCondition is the outcome of processing one manifest.
type ManifestCondition struct {
	// identifier says which manifest (and which object) this entry is about.
	// +required
	Identifier WorkResourceIdentifier `json:"identifier,omitempty"`

	// conditions are Applied, Available and DiffReported for this object.
	// Their observedGeneration is the object's generation on the member
	// cluster, not the Work's.
	// +required
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`

	// driftDetails is set when the object drifted from the hub's manifest.
	// +optional
	DriftDetails *DriftDetails `json:"driftDetails,omitempty"`

	// diffDetails is set when the object differs from the hub's manifest.
	// +optional
	DiffDetails *DiffDetails `json:"diffDetails,omitempty"`

	// backReportedStatus is the object's status copied from the member
	// cluster, when status back-reporting is on.
	// +optional
	BackReportedStatus *BackReportedStatus `json:"backReportedStatus,omitempty"`
}

// WorkConditionType is a condition type of a Work. Applied, Available and
// DiffReported are also the condition types of each ManifestCondition.
type WorkConditionType string

const (
	// WorkConditionTypeApplied is True when every manifest was applied. It is
	// absent under the ReportDiff apply strategy.
	WorkConditionTypeApplied WorkConditionType = "Applied"
	// WorkConditionTypeAvailable is True when every applied object is
	// available or cannot be tracked. It is only set once Applied is True at
	// the Work's generation, and is absent under ReportDiff.
	WorkConditionTypeAvailable WorkConditionType = "Available"
	// WorkConditionTypeDiffReported is used only under the ReportDiff apply
	// strategy: True once every manifest has been compared with the cluster.
	WorkConditionTypeDiffReported WorkConditionType = "DiffReported"
	// WorkConditionTypeStatusTrimmed is True when the agent dropped drift,
	// diff or back-reported details to keep the Work under the size limit.
	WorkConditionTypeStatusTrimmed WorkConditionType = "StatusTrimmed"
)

// Reasons of a Work's Applied condition.
const (
	// WorkAllManifestsAppliedReason: every manifest was applied.
	WorkAllManifestsAppliedReason = "AllManifestsApplied"
	// WorkNotAllManifestsAppliedReason: at least one manifest was not applied.
	WorkNotAllManifestsAppliedReason = "SomeManifestsAreNotApplied"
)

// Reasons of a Work's Available condition.
const (
	// WorkAllManifestsAvailableReason: every applied object is available.
	WorkAllManifestsAvailableReason = "AllManifestsAvailable"
	// WorkNotAllManifestsTrackableReason: every applied object is available
	// or cannot be tracked, and at least one cannot be tracked (status True).
	WorkNotAllManifestsTrackableReason = "WorkNotTrackable"
	// WorkNotAllManifestsAvailabilityTrackableReason: KubeFleet's newer
	// spelling of WorkNotAllManifestsTrackableReason (status True). Agents
	// report the older one; the work generator accepts both.
	WorkNotAllManifestsAvailabilityTrackableReason = "SomeManifestsAreNotAvailabilityTrackable"
	// WorkNotAllManifestsAvailableReason: at least one object is not available yet.
	WorkNotAllManifestsAvailableReason = "SomeManifestsAreNotAvailable"
)

// Reasons of a Work's DiffReported condition.
const (
	// WorkAllManifestsDiffReportedReason: every manifest was compared with the cluster.
	WorkAllManifestsDiffReportedReason = "AllManifestsDiffReported"
	// WorkNotAllManifestsDiffReportedReason: at least one manifest could not be compared.
	WorkNotAllManifestsDiffReportedReason = "SomeManifestsHaveNotReportedDiff"
)

// Reasons of a Work's StatusTrimmed condition.
const (
	// WorkStatusTrimmedReason: the status outgrew the object size limit and was shortened.
	WorkStatusTrimmedReason = "StatusOversized"
)

// Reasons of a manifest's Applied condition.
const (
	// ManifestAppliedReason: the object was applied (status True).
	ManifestAppliedReason = "Applied"
	// ManifestAppliedWithFailedDriftDetectionReason: the object was applied
	// but the drift check afterwards failed (status True).
	ManifestAppliedWithFailedDriftDetectionReason = "AppliedWithFailedDriftDetection"
	// ManifestPreparingToProcessReason: the agent has seen the manifest and
	// not processed it yet.
	ManifestPreparingToProcessReason = "PreparingToProcess"
	// ManifestApplyFailedReason: the apply call failed.
	ManifestApplyFailedReason = "ManifestApplyFailed"
	// ManifestDecodingErredReason: the manifest is not a valid Kubernetes object.
	ManifestDecodingErredReason = "DecodingErred"
	// ManifestFoundGenerateNameReason: the manifest uses generateName, which
	// the agent cannot apply idempotently.
	ManifestFoundGenerateNameReason = "FoundGenerateName"
	// ManifestDuplicatedReason: another manifest of the Work describes the same object.
	ManifestDuplicatedReason = "Duplicated"
	// ManifestFailedToFindObjInMemberClusterReason: reading the object on the member cluster failed.
	ManifestFailedToFindObjInMemberClusterReason = "FailedToFindObjInMemberCluster"
	// ManifestFailedToTakeOverReason: taking ownership of an existing object failed.
	ManifestFailedToTakeOverReason = "FailedToTakeOver"
	// ManifestNotTakenOverReason: an existing object was left alone as the
	// whenToTakeOver setting requires.
	ManifestNotTakenOverReason = "NotTakenOver"
	// ManifestFailedToRunDriftDetectionReason: the drift check before applying failed.
	ManifestFailedToRunDriftDetectionReason = "FailedToRunDriftDetection"
	// ManifestFoundDriftsReason: the object drifted and whenToApply is
	// IfNotDrifted, so it was not applied.
	ManifestFoundDriftsReason = "FoundDrifts"
	// ManifestFoundDriftsInDegradedModeReason: drifts were found with a
	// fallback comparison because the member cluster rejected the manifest.
	ManifestFoundDriftsInDegradedModeReason = "FoundDriftsInDegradedMode"
)

// Reasons of a manifest's Available condition.
const (
	// ManifestAvailableReason: the object is available (status True).
	ManifestAvailableReason = "Available"
	// ManifestNotAvailableYetReason: the object is not available yet; the agent checks again later.
	ManifestNotAvailableYetReason = "ManifestNotAvailableYet"
	// ManifestNotTrackableReason: the agent cannot judge availability of this
	// kind and treats it as available (status True).
	ManifestNotTrackableReason = "NotTrackable"
	// ManifestAvailabilityCheckFailedReason: checking availability failed.
	ManifestAvailabilityCheckFailedReason = "Failed"
)

// Reasons of a manifest's DiffReported condition.
const (
	// ManifestNoDiffFoundReason: the object matches the manifest (status True).
	ManifestNoDiffFoundReason = "NoDiffFound"
	// ManifestFoundDiffReason: differences were found and reported (status True).
	ManifestFoundDiffReason = "FoundDiff"
	// ManifestFoundDiffInDegradedModeReason: differences were found with a
	// fallback comparison because the member cluster rejected the manifest (status True).
	ManifestFoundDiffInDegradedModeReason = "FoundDiffInDegradedMode"
	// ManifestFailedToReportDiffReason: the comparison could not be done (status False).
	ManifestFailedToReportDiffReason = "FailedToReportDiff"
)

// GetCondition returns the Work's condition of the given type, or nil.
func (w *Work) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(w.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the Work.
func (w *Work) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&w.Status.Conditions, c)
	}
}

// RemoveCondition removes the Work's condition of the given type.
func (w *Work) RemoveCondition(conditionType string) {
	meta.RemoveStatusCondition(&w.Status.Conditions, conditionType)
}

func init() {
	SchemeBuilder.Register(&Work{}, &WorkList{})
}
