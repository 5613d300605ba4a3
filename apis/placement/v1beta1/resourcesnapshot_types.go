package v1beta1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=crs
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.metadata.generation`,name="Gen",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date

// ClusterResourceSnapshot freezes part or all of the resources a
// ClusterResourcePlacement selected at one point in time. Its spec never changes.
//
// Because one object cannot exceed the API server's size limit, one version of
// the selected resources (a snapshot group) may span several snapshots that
// share a resource index; indices start at 0 and only grow. The group's master
// snapshot is named <placement>-<index>-snapshot and carries the
// kubernetes-fleet.io/resource-hash, number-of-resource-snapshots and
// number-of-enveloped-object annotations; the others are named
// <placement>-<index>-<subindex> and carry the subindex-of-resource-snapshot
// annotation. Every snapshot of a group has the kubernetes-fleet.io/parent-CRP,
// resource-index and is-latest-snapshot labels.
type ClusterResourceSnapshot struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec holds the selected resources stored in this snapshot.
	// +required
	Spec ResourceSnapshotSpec `json:"spec"`

	// status holds the snapshot's conditions.
	// +optional
	Status ResourceSnapshotStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterResourceSnapshotList is a list of ClusterResourceSnapshot.
type ClusterResourceSnapshotList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterResourceSnapshot `json:"items"`
}

// ResourceSnapshotSpec is the content of a resource snapshot.
type ResourceSnapshotSpec struct {
	// selectedResources are the selected objects, each a complete Kubernetes
	// object as it will be placed (status and server-set metadata removed).
	// +required
	SelectedResources []ResourceContent `json:"selectedResources"`
}

// ResourceContent is one selected Kubernetes object, kept verbatim.
type ResourceContent struct {
	// +kubebuilder:validation:EmbeddedResource
	// +kubebuilder:pruning:PreserveUnknownFields
	runtime.RawExtension `json:"-,inline"`
}

// ResourceSnapshotStatus is the observed state of a resource snapshot.
type ResourceSnapshotStatus struct {
	// conditions of the snapshot. None are defined today.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`
}

// GetCondition returns the snapshot's condition of the given type, or nil.
func (s *ClusterResourceSnapshot) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(s.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the snapshot.
func (s *ClusterResourceSnapshot) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&s.Status.Conditions, c)
	}
}

func init() {
	SchemeBuilder.Register(&ClusterResourceSnapshot{}, &ClusterResourceSnapshotList{})
}
