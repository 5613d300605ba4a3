package v1beta1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=csps
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.metadata.generation`,name="Gen",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date

// ClusterSchedulingPolicySnapshot freezes one version of a
// ClusterResourcePlacement's scheduling policy; the scheduler works from the
// latest snapshot and writes its decisions into the snapshot's status.
//
// The placement controller creates a new snapshot whenever the policy (apart
// from numberOfClusters) changes, and never edits a snapshot's spec. Snapshots
// are named <placement>-<index>, with indices counting up from 0, and carry the
// kubernetes-fleet.io/parent-CRP, policy-index and is-latest-snapshot labels; a
// PickN snapshot also carries the kubernetes-fleet.io/number-of-clusters
// annotation with the cluster count currently asked for.
type ClusterSchedulingPolicySnapshot struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the frozen scheduling policy and its hash.
	// +required
	Spec SchedulingPolicySnapshotSpec `json:"spec"`

	// status holds the scheduler's verdict: the Scheduled condition and the
	// clusters it considered.
	// +optional
	Status SchedulingPolicySnapshotStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterSchedulingPolicySnapshotList is a list of ClusterSchedulingPolicySnapshot.
type ClusterSchedulingPolicySnapshotList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterSchedulingPolicySnapshot `json:"items"`
}

// SchedulingPolicySnapshotSpec is the policy captured by a snapshot.
type SchedulingPolicySnapshotSpec struct {
	// policy is the placement's scheduling policy at the time of the snapshot.
	// Absent means every joined member cluster is picked (PickAll).
	// +optional
	Policy *PlacementPolicy `json:"policy,omitempty"`

	// policyHash is the sha-256 of the policy, used to tell whether the
	// placement's current policy still matches this snapshot.
	// +required
	PolicyHash []byte `json:"policyHash"`
}

// SchedulingPolicySnapshotStatus is what the scheduler decided for a snapshot.
type SchedulingPolicySnapshotStatus struct {
	// observedCRPGeneration is the generation of the placement the scheduler
	// looked at when it produced this status.
	// +required
	ObservedCRPGeneration int64 `json:"observedCRPGeneration"`

	// conditions holds the Scheduled condition.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`

	// targetClusters lists the clusters the scheduler considered, each with
	// whether it was picked and why. Every picked cluster is listed; other
	// clusters may be left out to keep the object small, the most telling first.
	// +optional
	// +kubebuilder:validation:MaxItems=1000
	ClusterDecisions []ClusterDecision `json:"targetClusters,omitempty"`
}

// SchedulingPolicySnapshotConditionType is a condition type of a scheduling policy snapshot.
type SchedulingPolicySnapshotConditionType string

const (
	// PolicySnapshotScheduled is True when the scheduler found every cluster
	// the policy asks for, False when it could not, Unknown before it decided.
	PolicySnapshotScheduled SchedulingPolicySnapshotConditionType = "Scheduled"
)

// Reasons of a policy snapshot's Scheduled condition.
const (
	// PolicySnapshotFulfilledReason: all the clusters the policy asks for were found.
	PolicySnapshotFulfilledReason = "SchedulingPolicyFulfilled"
	// PolicySnapshotUnfulfilledReason: fewer clusters than the policy asks for could be picked.
	PolicySnapshotUnfulfilledReason = "SchedulingPolicyUnfulfilled"
)

// ClusterDecision records the scheduler's verdict on one member cluster.
// A binding carries the decision that made the scheduler pick its cluster.
type ClusterDecision struct {
	// clusterName is the member cluster the decision is about; unique among
	// the decisions of one placement.
	// +required
	ClusterName string `json:"clusterName"`

	// selected is true when the scheduler picked the cluster.
	// +required
	Selected bool `json:"selected"`

	// clusterScore is the score the scheduler gave the cluster, when it scored it.
	// +optional
	ClusterScore *ClusterScore `json:"clusterScore"`

	// reason says in words why the cluster was or was not picked.
	// +required
	Reason string `json:"reason"`
}

// ClusterScore is the score the scheduler computed for a cluster.
type ClusterScore struct {
	// affinityScore is the sum of the weights of the preferred cluster
	// affinity terms the cluster matched; absent when the cluster failed the
	// required affinity.
	// +optional
	AffinityScore *int32 `json:"affinityScore,omitempty"`

	// priorityScore is the topology-spread score of the cluster; absent when
	// the cluster failed the topology spread constraints.
	// +optional
	TopologySpreadScore *int32 `json:"priorityScore,omitempty"`
}

// GetCondition returns the snapshot's condition of the given type, or nil.
func (s *ClusterSchedulingPolicySnapshot) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(s.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the snapshot.
func (s *ClusterSchedulingPolicySnapshot) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&s.Status.Conditions, c)
	}
}

func init() {
	SchemeBuilder.Register(&ClusterSchedulingPolicySnapshot{}, &ClusterSchedulingPolicySnapshotList{})
}
