package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-cluster},shortName=cluster
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Joined")].status`,name="Joined",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date
// +kubebuilder:printcolumn:JSONPath=`.status.agentStatus[?(@.type=="MemberAgent")].lastReceivedHeartbeat`,name="Member-Agent-Last-Seen",type=date
// +kubebuilder:printcolumn:JSONPath=`.status.properties.kubernetes-fleet\.io/node-count.value`,name="Node-Count",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.resourceUsage.available.cpu`,name="Available-CPU",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.resourceUsage.available.memory`,name="Available-Memory",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.resourceUsage.allocatable.cpu`,name="Allocatable-CPU",type=string,priority=1
// +kubebuilder:printcolumn:JSONPath=`.status.resourceUsage.allocatable.memory`,name="Allocatable-Memory",type=string,priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) < 64",message="metadata.name max length is 63"

// MemberCluster is the hub's record of one cluster in the fleet. An admin
// creates it to let the cluster join and deletes it to make the cluster
// leave. For each MemberCluster the hub prepares a namespace
// fleet-member-<name> with access for the cluster's identity and an
// InternalMemberCluster inside it; the member agent reports through that
// object and the hub copies its status here. Placements select
// MemberClusters by their labels and properties.
type MemberCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says who the member agent is and how it should behave.
	// +required
	Spec MemberClusterSpec `json:"spec"`

	// status reports whether the cluster has joined, its health and capacity.
	// +optional
	Status MemberClusterStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// MemberClusterList is a list of MemberCluster.
type MemberClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MemberCluster `json:"items"`
}

// MemberClusterSpec is the desired state of a member cluster.
type MemberClusterSpec struct {
	// identity is the user, group or service account the member agent uses to
	// reach the hub. The hub grants it the least access the agent needs, in
	// the cluster's own namespace.
	// +required
	Identity rbacv1.Subject `json:"identity"`

	// heartbeatPeriodSeconds is how often, in seconds, the member agent
	// reports to the hub; 1 to 600, 60 when unset.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=600
	HeartbeatPeriodSeconds int32 `json:"heartbeatPeriodSeconds,omitempty"`

	// taints keep placements that do not tolerate them off this cluster;
	// at most 100, no two identical.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(t, self.filter(u, u == t).size() == 1)",message="taints must be unique"
	Taints []Taint `json:"taints,omitempty"`

	// deleteOptions tune how a delete of this MemberCluster is checked.
	// +optional
	DeleteOptions *DeleteOptions `json:"deleteOptions,omitempty"`
}

// Taint repels, from one member cluster, every placement that does not
// tolerate it. Only the NoSchedule effect exists: the scheduler does not
// pick the cluster for new decisions, clusters already picked are kept.
type Taint struct {
	// key of the taint, a qualified name as label keys are: an optional
	// lowercase DNS subdomain prefix (at most 253 characters) and "/",
	// then a name of at most 63 alphanumeric characters, '-', '_' or '.',
	// starting and ending with an alphanumeric character.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="(self.contains('/') ? self.substring(self.indexOf('/') + 1) : self).matches('^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$')",message="taint key name segment must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	// +kubebuilder:validation:XValidation:rule="size(self.contains('/') ? self.substring(self.indexOf('/') + 1) : self) <= 63",message="taint key name segment must be 63 characters or less"
	// +kubebuilder:validation:XValidation:rule="!self.contains('/') || self.substring(0, self.indexOf('/')).matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="taint key prefix must be a lowercase DNS subdomain"
	// +kubebuilder:validation:XValidation:rule="!self.contains('/') || self.indexOf('/') <= 253",message="taint key prefix must be 253 characters or less"
	Key string `json:"key"`

	// value of the taint, a label value (at most 63 characters); may be empty.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$')",message="taint value must be a valid label value"
	Value string `json:"value,omitempty"`

	// effect of the taint on placements that do not tolerate it; only NoSchedule.
	// +required
	// +kubebuilder:validation:Enum=NoSchedule
	Effect corev1.TaintEffect `json:"effect"`
}

// DeleteValidationMode is how strictly a MemberCluster delete is checked.
type DeleteValidationMode string

const (
	// DeleteValidationModeSkip lets the delete through without checks.
	DeleteValidationModeSkip DeleteValidationMode = "Skip"
	// DeleteValidationModeStrict refuses the delete while placements still
	// have resources on the cluster.
	DeleteValidationModeStrict DeleteValidationMode = "Strict"
)

// DeleteOptions tune the checks run when a MemberCluster is deleted.
type DeleteOptions struct {
	// validationMode is Strict (the default) or Skip.
	// +optional
	// +kubebuilder:validation:Enum=Skip;Strict
	// +kubebuilder:default=Strict
	ValidationMode DeleteValidationMode `json:"validationMode,omitempty"`
}

// PropertyName names a cluster property; it has the form of a label key
// (e.g. kubernetes-fleet.io/node-count).
type PropertyName string

// Property names every property provider reports, and that Fleet reports
// itself when no provider is configured.
const (
	// NodeCountProperty is the number of nodes in the cluster.
	NodeCountProperty = "kubernetes-fleet.io/node-count"

	// TotalCPUCapacityProperty is the CPU capacity of all nodes.
	TotalCPUCapacityProperty = "resources.kubernetes-fleet.io/total-cpu"
	// AllocatableCPUCapacityProperty is the allocatable CPU of all nodes.
	AllocatableCPUCapacityProperty = "resources.kubernetes-fleet.io/allocatable-cpu"
	// TotalMemoryCapacityProperty is the memory capacity of all nodes.
	TotalMemoryCapacityProperty = "resources.kubernetes-fleet.io/total-memory"
	// AllocatableMemoryCapacityProperty is the allocatable memory of all nodes.
	AllocatableMemoryCapacityProperty = "resources.kubernetes-fleet.io/allocatable-memory"
)

// PropertyValue is one observed value of a cluster property.
type PropertyValue struct {
	// value of the property, written as a Kubernetes quantity (e.g. "3", "1500m").
	// +required
	Value string `json:"value"`

	// observationTime is when the value was observed.
	// +required
	ObservationTime metav1.Time `json:"observationTime"`
}

// MemberClusterStatus is the observed state of a member cluster, mostly
// copied from its InternalMemberCluster.
type MemberClusterStatus struct {
	// conditions are ReadyToJoin (set by the hub), Joined (aggregated from
	// the agents), Healthy, and the property provider's conditions copied
	// from the InternalMemberCluster.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions"`

	// properties are the cluster properties the member agent last reported,
	// keyed by name; used by property-based scheduling.
	// +optional
	Properties map[PropertyName]PropertyValue `json:"properties,omitempty"`

	// resourceUsage is the cluster's capacity and usage as the member agent
	// last reported it.
	// +optional
	ResourceUsage ResourceUsage `json:"resourceUsage,omitempty"`

	// namespaces maps each namespace on the member cluster that Fleet placed
	// to the name of the Work that placed it (empty when unknown), as the
	// member agent last reported it.
	// +optional
	Namespaces map[string]string `json:"namespaces,omitempty"`

	// agentStatus has one entry per agent running on the member cluster.
	// +optional
	AgentStatus []AgentStatus `json:"agentStatus,omitempty"`
}

// MemberClusterConditionType is a condition type of a MemberCluster.
type MemberClusterConditionType string

const (
	// ConditionTypeMemberClusterReadyToJoin is True once the hub has prepared
	// everything the cluster needs to join (namespace, role, binding,
	// InternalMemberCluster). It never goes back to False.
	ConditionTypeMemberClusterReadyToJoin MemberClusterConditionType = "ReadyToJoin"
	// ConditionTypeMemberClusterJoined is True when every expected agent has
	// joined, False when all have left, Unknown in between.
	ConditionTypeMemberClusterJoined MemberClusterConditionType = "Joined"
	// ConditionTypeMemberClusterHealthy reports the cluster's health; the
	// member agent's own health is in its AgentStatus.
	ConditionTypeMemberClusterHealthy MemberClusterConditionType = "Healthy"
	// ConditionTypeClusterPropertyProviderStarted reports whether the
	// configured property provider started (set by the member agent).
	ConditionTypeClusterPropertyProviderStarted MemberClusterConditionType = "ClusterPropertyProviderStarted"
	// ConditionTypeClusterPropertyCollectionSucceeded reports whether the
	// last collection of properties from the provider succeeded (set by the
	// member agent).
	ConditionTypeClusterPropertyCollectionSucceeded MemberClusterConditionType = "ClusterPropertyCollectionSucceeded"
)

// Reasons of a MemberCluster's ReadyToJoin condition.
const (
	// MemberClusterReadyToJoinReason: the hub side is prepared.
	MemberClusterReadyToJoinReason = "MemberClusterReadyToJoin"
	// MemberClusterNotReadyToJoinReason: preparing the hub side failed.
	MemberClusterNotReadyToJoinReason = "MemberClusterNotReadyToJoin"
)

// Reasons of a MemberCluster's Joined condition.
const (
	// MemberClusterJoinedReason: every expected agent has joined.
	MemberClusterJoinedReason = "MemberClusterJoined"
	// MemberClusterLeftReason: every expected agent has left.
	MemberClusterLeftReason = "MemberClusterLeft"
	// MemberClusterJoinStateUnknownReason: some agent has not reported yet,
	// or the agents disagree.
	MemberClusterJoinStateUnknownReason = "MemberClusterJoinStateUnknown"
)

// Reasons of a MemberCluster's Healthy condition, set by the hub from the
// member agent's heartbeats and health reports.
const (
	// MemberClusterHealthyReason: the member agent reports in time and finds its cluster healthy.
	MemberClusterHealthyReason = "MemberClusterHealthy"
	// MemberClusterUnhealthyReason: the member agent reports its cluster unhealthy.
	MemberClusterUnhealthyReason = "MemberClusterUnhealthy"
	// MemberClusterHeartbeatTimeoutReason: the member agent missed its heartbeats.
	MemberClusterHeartbeatTimeoutReason = "MemberAgentHeartbeatTimeout"
	// MemberClusterHealthUnknownReason: the member agent has not reported yet.
	MemberClusterHealthUnknownReason = "MemberClusterHealthUnknown"
)

// Reasons of the ClusterPropertyProviderStarted condition.
const (
	// ClusterPropertyProviderStartedReason: the provider started.
	ClusterPropertyProviderStartedReason = "Started"
	// ClusterPropertyProviderStartedFailedReason: the provider returned an error on start.
	ClusterPropertyProviderStartedFailedReason = "FailedToStart"
	// ClusterPropertyProviderStartedTimedOutReason: the provider did not start in time.
	ClusterPropertyProviderStartedTimedOutReason = "TimedOut"
)

// Reasons of the ClusterPropertyCollectionSucceeded condition.
const (
	// ClusterPropertyCollectionSucceededReason: the provider returned the latest properties.
	ClusterPropertyCollectionSucceededReason = "PropertiesCollected"
	// ClusterPropertyCollectionFailedTooManyCallsReason: too many collections
	// were still running; the agent retries later.
	ClusterPropertyCollectionFailedTooManyCallsReason = "TooManyCalls"
	// ClusterPropertyCollectionTimedOutReason: the provider did not answer in time.
	ClusterPropertyCollectionTimedOutReason = "TimedOut"
)

// GetCondition returns the MemberCluster's condition of the given type, or nil.
func (m *MemberCluster) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(m.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the MemberCluster.
func (m *MemberCluster) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&m.Status.Conditions, c)
	}
}

// RemoveCondition removes the MemberCluster's condition of the given type.
func (m *MemberCluster) RemoveCondition(conditionType string) {
	meta.RemoveStatusCondition(&m.Status.Conditions, conditionType)
}

// GetAgentStatus returns a copy of the status of the given agent, or nil
// when that agent has not reported.
func (m *MemberCluster) GetAgentStatus(agentType AgentType) *AgentStatus {
	for i := range m.Status.AgentStatus {
		if m.Status.AgentStatus[i].Type == agentType {
			s := m.Status.AgentStatus[i]
			return &s
		}
	}
	return nil
}

// SetAgentStatus replaces the status of the agent of status.Type, or adds it.
func (m *MemberCluster) SetAgentStatus(status AgentStatus) {
	for i := range m.Status.AgentStatus {
		if m.Status.AgentStatus[i].Type == status.Type {
			m.Status.AgentStatus[i] = status
			return
		}
	}
	m.Status.AgentStatus = append(m.Status.AgentStatus, status)
}

// GetAgentCondition returns the given condition of the given agent, or nil.
func (m *MemberCluster) GetAgentCondition(agentType AgentType, conditionType AgentConditionType) *metav1.Condition {
	for i := range m.Status.AgentStatus {
		if m.Status.AgentStatus[i].Type == agentType {
			return meta.FindStatusCondition(m.Status.AgentStatus[i].Conditions, string(conditionType))
		}
	}
	return nil
}

func init() {
	SchemeBuilder.Register(&MemberCluster{}, &MemberClusterList{})
}
