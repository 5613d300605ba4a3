package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Namespaced,categories={fleet,fleet-cluster},shortName=imc
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date

// InternalMemberCluster is the channel between the hub and one member
// cluster's agents. The hub creates it, named after the MemberCluster, in
// the namespace fleet-member-<cluster>, and writes the spec (join or leave,
// heartbeat period); the member agent watches it and heartbeats by writing
// its status (agent conditions, properties, resource usage), which the hub
// copies to the MemberCluster.
type InternalMemberCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is written by the hub.
	// +required
	Spec InternalMemberClusterSpec `json:"spec"`

	// status is written by the member agents.
	// +optional
	Status InternalMemberClusterStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// InternalMemberClusterList is a list of InternalMemberCluster.
type InternalMemberClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InternalMemberCluster `json:"items"`
}

// InternalMemberClusterSpec is what the hub asks of a member cluster's agents.
type InternalMemberClusterSpec struct {
	// state is Join while the MemberCluster exists and Leave once it is being
	// deleted.
	// +required
	State ClusterState `json:"state"`

	// heartbeatPeriodSeconds is how often, in seconds, the agents report;
	// copied from the MemberCluster. 1 to 600, 60 when unset.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=600
	HeartbeatPeriodSeconds int32 `json:"heartbeatPeriodSeconds,omitempty"`
}

// ClusterState is whether a member cluster should be in the fleet.
type ClusterState string

const (
	// ClusterStateJoin: the agents should run and report.
	ClusterStateJoin ClusterState = "Join"
	// ClusterStateLeave: the agents should stop and report that they left.
	ClusterStateLeave ClusterState = "Leave"
)

// InternalMemberClusterStatus is what the member agents report.
type InternalMemberClusterStatus struct {
	// conditions are cluster-wide conditions from the member agent, such as
	// ClusterPropertyProviderStarted and ClusterPropertyCollectionSucceeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`

	// properties are the cluster properties collected on the last heartbeat,
	// keyed by name.
	// +optional
	Properties map[PropertyName]PropertyValue `json:"properties,omitempty"`

	// resourceUsage is the cluster's capacity and usage on the last heartbeat.
	// +optional
	ResourceUsage ResourceUsage `json:"resourceUsage,omitempty"`

	// namespaces maps each namespace on the member cluster that Fleet placed
	// to the name of the Work that placed it, when namespace collection is on.
	// +optional
	Namespaces map[string]string `json:"namespaces,omitempty"`

	// agentStatus has one entry per agent running on the member cluster.
	// +optional
	AgentStatus []AgentStatus `json:"agentStatus,omitempty"`
}

// ResourceUsage is the summed capacity and usage of a member cluster's nodes.
type ResourceUsage struct {
	// capacity is the total resources installed on all nodes.
	// +optional
	Capacity corev1.ResourceList `json:"capacity,omitempty"`

	// allocatable is what all nodes offer to workloads: capacity minus what
	// is reserved for the system and the kubelet.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`

	// available is allocatable minus what running pods request. Reported by
	// the property provider, when one is configured.
	// +optional
	Available corev1.ResourceList `json:"available,omitempty"`

	// observationTime is when the usage was observed.
	// +optional
	ObservationTime metav1.Time `json:"observationTime,omitempty"`
}

// AgentType names a kind of agent running on a member cluster.
type AgentType string

const (
	// MemberAgent joins and leaves the fleet and applies Works.
	MemberAgent AgentType = "MemberAgent"
	// MultiClusterServiceAgent exposes multi-cluster services (fleet networking).
	MultiClusterServiceAgent AgentType = "MultiClusterServiceAgent"
	// ServiceExportImportAgent exports and imports services across clusters (fleet networking).
	ServiceExportImportAgent AgentType = "ServiceExportImportAgent"
)

// AgentStatus is what one agent on the member cluster reports.
type AgentStatus struct {
	// type of the agent.
	// +required
	Type AgentType `json:"type"`

	// conditions of the agent: Joined and Healthy.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// lastReceivedHeartbeat is when the agent last reported.
	// +optional
	LastReceivedHeartbeat metav1.Time `json:"lastReceivedHeartbeat,omitempty"`
}

// AgentConditionType is a condition type in an AgentStatus.
type AgentConditionType string

const (
	// AgentJoined is True when the agent has joined, False when it has left,
	// Unknown while joining or leaving failed.
	AgentJoined AgentConditionType = "Joined"
	// AgentHealthy is True while the agent finds its cluster's API server
	// ready, False otherwise.
	AgentHealthy AgentConditionType = "Healthy"
)

// Reasons of an agent's Joined condition.
const (
	// AgentJoinedReason: the agent has joined.
	AgentJoinedReason = "InternalMemberClusterJoined"
	// AgentLeftReason: the agent has left.
	AgentLeftReason = "InternalMemberClusterLeft"
	// AgentFailedToJoinReason: starting the agent's controllers failed (status Unknown).
	AgentFailedToJoinReason = "InternalMemberClusterFailedToJoin"
	// AgentFailedToLeaveReason: stopping the agent's controllers failed (status Unknown).
	AgentFailedToLeaveReason = "InternalMemberClusterFailedToLeave"
)

// Reasons of an agent's Healthy condition.
const (
	// AgentHealthyReason: the member cluster's API server answered its readiness probe.
	AgentHealthyReason = "InternalMemberClusterHealthy"
	// AgentUnhealthyReason: the readiness probe failed.
	AgentUnhealthyReason = "InternalMemberClusterUnhealthy"
)

// GetCondition returns the InternalMemberCluster's condition of the given type, or nil.
func (m *InternalMemberCluster) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(m.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given cluster-wide conditions.
func (m *InternalMemberCluster) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&m.Status.Conditions, c)
	}
}

// EnsureAgentStatus returns the status entry of the given agent, adding an
// empty one first when the agent has none. The pointer is into
// Status.AgentStatus and stays valid until that slice is next appended to.
func (m *InternalMemberCluster) EnsureAgentStatus(agentType AgentType) *AgentStatus {
	for i := range m.Status.AgentStatus {
		if m.Status.AgentStatus[i].Type == agentType {
			return &m.Status.AgentStatus[i]
		}
	}
	m.Status.AgentStatus = append(m.Status.AgentStatus, AgentStatus{Type: agentType, Conditions: []metav1.Condition{}})
	return &m.Status.AgentStatus[len(m.Status.AgentStatus)-1]
}

// SetAgentConditions adds or updates conditions in the given agent's status,
// adding the agent's entry when it has none.
func (m *InternalMemberCluster) SetAgentConditions(agentType AgentType, conditions ...metav1.Condition) {
	s := m.EnsureAgentStatus(agentType)
	for _, c := range conditions {
		meta.SetStatusCondition(&s.Conditions, c)
	}
}

// GetAgentCondition returns the given condition of the given agent, or nil.
func (m *InternalMemberCluster) GetAgentCondition(agentType AgentType, conditionType AgentConditionType) *metav1.Condition {
	for i := range m.Status.AgentStatus {
		if m.Status.AgentStatus[i].Type == agentType {
			return meta.FindStatusCondition(m.Status.AgentStatus[i].Conditions, string(conditionType))
		}
	}
	return nil
}

func init() {
	SchemeBuilder.Register(&InternalMemberCluster{}, &InternalMemberClusterList{})
}
