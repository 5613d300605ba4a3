package v1beta1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=crb
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="WorkSynchronized")].status`,name="WorkSynchronized",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Applied")].status`,name="ResourcesApplied",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Available")].status`,name="ResourceAvailable",type=string,priority=1
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date

// ClusterResourceBinding ties a ClusterResourcePlacement to one member cluster
// the scheduler picked, and says which resource snapshot (with which overrides
// and apply strategy) should be on that cluster.
//
// The scheduler creates it in state Scheduled; a rollout (the rolling-update
// controller or a staged update run) sets the snapshot and moves it to Bound;
// the work generator turns a Bound binding into Work objects and reports their
// progress in the binding's status. A cluster the scheduler no longer picks
// gets its binding moved to Unscheduled and, later, deleted. Every binding
// carries the kubernetes-fleet.io/parent-CRP label naming its placement.
type ClusterResourceBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says what should be placed on the target cluster.
	// +required
	Spec ResourceBindingSpec `json:"spec"`

	// status reports how far the placement on the target cluster has got.
	// +optional
	Status ResourceBindingStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterResourceBindingList is a list of ClusterResourceBinding.
type ClusterResourceBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterResourceBinding `json:"items"`
}

// ResourceBindingSpec is the desired placement on one cluster.
type ResourceBindingSpec struct {
	// state is Scheduled (picked, nothing placed yet), Bound (the resources
	// should be on the cluster) or Unscheduled (no longer picked; the
	// resources stay until the binding is deleted).
	// +required
	State BindingState `json:"state"`

	// resourceSnapshotName is the name of the master resource snapshot of the
	// group to place; empty until a rollout binds the cluster.
	// +required
	ResourceSnapshotName string `json:"resourceSnapshotName"`

	// resourceOverrideSnapshots are the ResourceOverride snapshots to apply
	// to the selected resources on this cluster.
	// +optional
	ResourceOverrideSnapshots []NamespacedName `json:"resourceOverrideSnapshots,omitempty"`

	// clusterResourceOverrideSnapshots are the names of the
	// ClusterResourceOverride snapshots to apply on this cluster.
	// +optional
	ClusterResourceOverrideSnapshots []string `json:"clusterResourceOverrideSnapshots,omitempty"`

	// schedulingPolicySnapshotName is the policy snapshot under which the
	// scheduler made (or last confirmed) this decision.
	// +required
	SchedulingPolicySnapshotName string `json:"schedulingPolicySnapshotName"`

	// targetCluster is the name of the member cluster.
	// +required
	TargetCluster string `json:"targetCluster"`

	// clusterDecision is the scheduler's reasoning for picking the cluster.
	// +required
	ClusterDecision ClusterDecision `json:"clusterDecision"`

	// applyStrategy is how the member agent applies the resources, copied
	// from the placement when the binding is bound.
	// +optional
	ApplyStrategy *ApplyStrategy `json:"applyStrategy,omitempty"`
}

// BindingState is the lifecycle state of a binding.
// +kubebuilder:validation:Enum=Scheduled;Bound;Unscheduled
type BindingState string

const (
	// BindingStateScheduled: the scheduler picked the cluster; nothing is placed yet.
	BindingStateScheduled BindingState = "Scheduled"
	// BindingStateBound: the resources named in the spec should be on the cluster.
	BindingStateBound BindingState = "Bound"
	// BindingStateUnscheduled: the scheduler no longer picks the cluster. The
	// work generator keeps the placed resources until the binding is deleted.
	BindingStateUnscheduled BindingState = "Unscheduled"
)

// ResourceBindingStatus is the observed placement on one cluster.
type ResourceBindingStatus struct {
	// failedPlacements lists resources that failed to apply or are not
	// available on the cluster; at most the first 100 are listed.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	FailedPlacements []FailedResourcePlacement `json:"failedPlacements,omitempty"`

	// driftedPlacements lists resources whose state on the cluster drifted from
	// the hub's manifests; at most the first 100 are listed.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	DriftedPlacements []DriftedResourcePlacement `json:"driftedPlacements,omitempty"`

	// diffedPlacements lists resources whose state on the cluster differs from
	// the hub's manifests, as found by the ReportDiff apply strategy or by a
	// takeover that requires no difference; at most the first 100 are listed.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	DiffedPlacements []DiffedResourcePlacement `json:"diffedPlacements,omitempty"`

	// conditions are RolloutStarted, Overridden, WorkSynchronized, Applied,
	// Available and, with the ReportDiff apply strategy, DiffReported.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`
}

// ResourceBindingConditionType is a condition type of a binding.
type ResourceBindingConditionType string

const (
	// ResourceBindingRolloutStarted is True once a rollout has pointed the
	// binding at the snapshot, overrides and apply strategy it should now place,
	// False while the rollout strategy holds the cluster back.
	ResourceBindingRolloutStarted ResourceBindingConditionType = "RolloutStarted"
	// ResourceBindingOverridden is True when the overrides were applied to the
	// resources (or there were none), False when applying them failed.
	ResourceBindingOverridden ResourceBindingConditionType = "Overridden"
	// ResourceBindingWorkSynchronized is True when every Work for the cluster
	// is created and up to date in the cluster's namespace on the hub.
	ResourceBindingWorkSynchronized ResourceBindingConditionType = "WorkSynchronized"
	// ResourceBindingApplied is True when every resource was applied on the cluster.
	ResourceBindingApplied ResourceBindingConditionType = "Applied"
	// ResourceBindingAvailable is True when every resource is available on the
	// cluster (or cannot be tracked), Unknown while the apply is unfinished.
	ResourceBindingAvailable ResourceBindingConditionType = "Available"
	// ResourceBindingDiffReported is used instead of Applied and Available with
	// the ReportDiff apply strategy: True once the differences of every
	// resource were reported.
	ResourceBindingDiffReported ResourceBindingConditionType = "DiffReported"
)

// Reasons of a binding's RolloutStarted condition.
const (
	// BindingRolloutStartedReason: the binding points at what it should place now.
	BindingRolloutStartedReason = "RolloutStarted"
	// BindingRolloutNotStartedYetReason: the rollout strategy has not let this cluster update yet.
	BindingRolloutNotStartedYetReason = "RolloutNotStartedYet"
)

// Reasons of a binding's Overridden condition.
const (
	// BindingOverriddenSucceededReason: the overrides were applied.
	BindingOverriddenSucceededReason = "OverriddenSucceeded"
	// BindingOverrideNotSpecifiedReason: no override applies to this cluster.
	BindingOverrideNotSpecifiedReason = "NoOverrideSpecified"
	// BindingOverriddenFailedReason: applying the overrides failed.
	BindingOverriddenFailedReason = "OverriddenFailed"
	// BindingOverriddenPendingReason: the overrides are not applied yet (in progress, not a failure).
	BindingOverriddenPendingReason = "OverriddenPending"
)

// Reasons of a binding's WorkSynchronized condition.
const (
	// BindingAllWorkSyncedReason: every Work is created and up to date.
	BindingAllWorkSyncedReason = "AllWorkSynced"
	// BindingSyncWorkFailedReason: creating or updating a Work failed.
	BindingSyncWorkFailedReason = "SyncWorkFailed"
	// BindingWorkNotSynchronizedYetReason: the Works are not up to date yet (in progress, not a failure).
	BindingWorkNotSynchronizedYetReason = "WorkNotSynchronizedYet"
)

// Reasons of a binding's Applied condition.
const (
	// BindingApplyInProgressReason: the Works were just written and the member agent has not applied them yet.
	BindingApplyInProgressReason = "ApplyInProgress"
	// BindingAllWorkAppliedReason: every Work was applied.
	BindingAllWorkAppliedReason = "AllWorkHaveBeenApplied"
	// BindingNotAllWorkAppliedReason: some Work is not applied.
	BindingNotAllWorkAppliedReason = "NotAllWorkHaveBeenApplied"
	// BindingApplyPendingReason: the apply has not happened yet (in progress, not a failure).
	BindingApplyPendingReason = "ApplyPending"
)

// Reasons of a binding's Available condition.
const (
	// BindingAllWorkAvailableReason: every Work is available.
	BindingAllWorkAvailableReason = "AllWorkAreAvailable"
	// BindingNotAllWorkAvailabilityTrackableReason: every Work is applied, but the
	// availability of some resources cannot be tracked; counts as available.
	BindingNotAllWorkAvailabilityTrackableReason = "NotAllWorkAreAvailabilityTrackable"
	// BindingNotAllWorkAvailableReason: some Work is not available.
	BindingNotAllWorkAvailableReason = "NotAllWorkAreAvailable"
	// BindingResourceNotAvailableYetReason: the resources are not available yet (in progress, not a failure).
	BindingResourceNotAvailableYetReason = "ResourceNotAvailableYet"
)

// Reasons of a binding's DiffReported condition.
const (
	// BindingDiffReportInProgressReason: the Works were just written and no diff is reported yet.
	BindingDiffReportInProgressReason = "DiffReportInProgress"
	// BindingAllWorkDiffReportedReason: every Work reported its differences.
	BindingAllWorkDiffReportedReason = "AllWorkHaveDiffReported"
	// BindingNotAllWorkDiffReportedReason: some Work has not reported its differences.
	BindingNotAllWorkDiffReportedReason = "NotAllWorkHaveDiffReported"
)

// GetCondition returns the binding's condition of the given type, or nil.
func (b *ClusterResourceBinding) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(b.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the binding.
func (b *ClusterResourceBinding) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&b.Status.Conditions, c)
	}
}

// RemoveCondition removes the binding's condition of the given type.
func (b *ClusterResourceBinding) RemoveCondition(conditionType string) {
	meta.RemoveStatusCondition(&b.Status.Conditions, conditionType)
}

func init() {
	SchemeBuilder.Register(&ClusterResourceBinding{}, &ClusterResourceBindingList{})
}
