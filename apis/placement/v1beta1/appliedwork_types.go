package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement}
// +kubebuilder:subresource:status

// AppliedWork is the member cluster's record of one hub Work: it has the
// Work's name and lists the objects the member agent created or took over
// for it. Every applied object gets an owner reference to its AppliedWork,
// so deleting the AppliedWork (the agent does when the Work goes, an admin
// may after removing the agent) garbage-collects them.
type AppliedWork struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the Work on the hub.
	// +required
	Spec AppliedWorkSpec `json:"spec"`

	// status lists the objects applied for the Work.
	// +optional
	Status AppliedWorkStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AppliedWorkList is a list of AppliedWork.
type AppliedWorkList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AppliedWork `json:"items"`
}

// AppliedWorkSpec points at the hub Work an AppliedWork mirrors.
type AppliedWorkSpec struct {
	// workName is the name of the Work on the hub.
	// +required
	WorkName string `json:"workName"`

	// workNamespace is the namespace of the Work on the hub (fleet-member-<cluster>).
	// +required
	WorkNamespace string `json:"workNamespace"`
}

// AppliedWorkStatus is the set of objects currently applied for a Work.
type AppliedWorkStatus struct {
	// appliedResources are the objects applied for the Work. An entry goes
	// away, and its object is deleted, when its manifest leaves the Work or
	// the Work is deleted.
	// +optional
	AppliedResources []AppliedResourceMeta `json:"appliedResources,omitempty"`
}

// AppliedResourceMeta identifies one applied object on the member cluster.
type AppliedResourceMeta struct {
	WorkResourceIdentifier `json:",inline"`

	// uid is the UID of the applied object, so a later object with the same
	// name is not mistaken for it.
	// +optional
	UID types.UID `json:"uid,omitempty"`
}

func init() {
	SchemeBuilder.Register(&AppliedWork{}, &AppliedWorkList{})
}
