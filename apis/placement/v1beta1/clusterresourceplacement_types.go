package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=crp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.metadata.generation`,name="Gen",type=string
// +kubebuilder:printcolumn:JSONPath=`.spec.policy.placementType`,name="Type",priority=1,type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementScheduled")].status`,name="Scheduled",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementScheduled")].observedGeneration`,name="Scheduled-Gen",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementWorkSynchronized")].status`,name="Work-Synchronized",priority=1,type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementWorkSynchronized")].observedGeneration`,name="Work-Synchronized-Gen",priority=1,type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementAvailable")].status`,name="Available",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ClusterResourcePlacementAvailable")].observedGeneration`,name="Available-Gen",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) < 64",message="name must not exceed 63 characters"

// ClusterResourcePlacement picks cluster-scoped resources on the hub (most
// often namespaces, which bring everything inside them) and places them on a
// set of member clusters chosen by its policy, rolling changes out according
// to its strategy.
//
// Reserved namespaces (default, kube-*, fleet-*) and the fleet's own kinds
// cannot be placed. Each change of the policy produces a
// ClusterSchedulingPolicySnapshot and each change of the selected resources a
// ClusterResourceSnapshot group, so past states can be inspected and rolled
// back to.
type ClusterResourcePlacement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which resources go where and how changes roll out.
	// +required
	// +kubebuilder:validation:XValidation:rule="!(self.statusReportingScope == 'NamespaceAccessible' && size(self.resourceSelectors.filter(x, x.kind == 'Namespace')) != 1)",message="when statusReportingScope is NamespaceAccessible, exactly one resourceSelector with kind 'Namespace' is required"
	// +kubebuilder:validation:XValidation:rule="!has(oldSelf.statusReportingScope) || self.statusReportingScope == oldSelf.statusReportingScope",message="statusReportingScope is immutable"
	Spec PlacementSpec `json:"spec"`

	// status reports what was selected, where it was scheduled and how far
	// the rollout got on every cluster.
	// +optional
	Status PlacementStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterResourcePlacementList is a list of ClusterResourcePlacement.
type ClusterResourcePlacementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterResourcePlacement `json:"items"`
}

// PlacementSpec is the desired state of a placement. It is shared by the
// cluster-scoped ClusterResourcePlacement and a namespaced placement kind, so
// the rules every placement obeys sit on this type; rules only one kind has
// sit on that kind's spec field.
// +kubebuilder:validation:XValidation:rule="!(has(oldSelf.policy) && !has(self.policy))",message="policy cannot be removed once set"
// +kubebuilder:validation:XValidation:rule="!(has(oldSelf.strategy) && has(oldSelf.strategy.type) && oldSelf.strategy.type == 'External') || (has(self.strategy) && has(self.strategy.type) && self.strategy.type == 'External')",message="cannot change rollout strategy type from 'External' to other types"
// +kubebuilder:validation:XValidation:rule="!self.resourceSelectors.exists(x, x.kind == 'Namespace' && has(x.selectionScope) && x.selectionScope == 'NamespaceWithResourceSelectors') || size(self.resourceSelectors.filter(x, x.kind == 'Namespace')) == 1",message="selectionScope NamespaceWithResourceSelectors needs exactly one resource selector of kind Namespace; remove the other Namespace selectors or use selectionScope NamespaceWithResources"
type PlacementSpec struct {
	// resourceSelectors pick the hub resources to place; a resource picked by
	// any selector is placed. Between 1 and 100 selectors.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	ResourceSelectors []ResourceSelectorTerm `json:"resourceSelectors"`

	// policy picks the member clusters. Without it every joined member
	// cluster is picked (as with placementType PickAll). Once set it cannot
	// be removed, and its placementType cannot change.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!(self.placementType != oldSelf.placementType)",message="placement type is immutable"
	// +kubebuilder:validation:XValidation:rule="!(has(self.placementType) && self.placementType == 'PickFixed' && (has(self.affinity) || has(self.numberOfClusters) || (has(self.topologySpreadConstraints) && size(self.topologySpreadConstraints) > 0) || (has(self.tolerations) && size(self.tolerations) > 0)))",message="affinity, numberOfClusters, topologySpreadConstraints, and tolerations cannot be set when placementType is PickFixed"
	// +kubebuilder:validation:XValidation:rule="!(has(self.placementType) && self.placementType == 'PickFixed') || (has(self.clusterNames) && size(self.clusterNames) > 0)",message="clusterNames is required when placementType is PickFixed; list the member clusters to place on in spec.policy.clusterNames"
	// +kubebuilder:validation:XValidation:rule="!((!has(self.placementType) || self.placementType == 'PickAll') && ((has(self.clusterNames) && size(self.clusterNames) > 0) || has(self.numberOfClusters) || (has(self.topologySpreadConstraints) && size(self.topologySpreadConstraints) > 0)))",message="clusterNames, numberOfClusters, and topologySpreadConstraints cannot be set when placementType is PickAll"
	// +kubebuilder:validation:XValidation:rule="!(has(self.placementType) && self.placementType == 'PickN') || ((!has(self.clusterNames) || size(self.clusterNames) == 0) && has(self.numberOfClusters))",message="clusterNames cannot be set and numberOfClusters must be set when placementType is PickN"
	// +kubebuilder:validation:XValidation:rule="!((!has(self.placementType) || self.placementType == 'PickAll') && has(self.affinity) && has(self.affinity.clusterAffinity) && has(self.affinity.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution) && size(self.affinity.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution) > 0)",message="preferredDuringSchedulingIgnoredDuringExecution is not allowed for PickAll placement type"
	// +kubebuilder:validation:XValidation:rule="!has(oldSelf.tolerations) || oldSelf.tolerations.all(t, has(self.tolerations) && t in self.tolerations)",message="tolerations have been updated/deleted, only additions to tolerations are allowed"
	Policy *PlacementPolicy `json:"policy,omitempty"`

	// strategy says how changes of the selected resources reach the clusters
	// and how they are applied there.
	// +optional
	// +patchStrategy=retainKeys
	Strategy RolloutStrategy `json:"strategy,omitempty"`

	// revisionHistoryLimit is how many scheduling policy snapshots and
	// resource snapshot groups are kept for inspection and rollback; older
	// ones are deleted. Defaults to 10.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// statusReportingScope says who can read the placement status.
	// ClusterScopeOnly (default) keeps it on the cluster-scoped object only.
	// NamespaceAccessible also mirrors it into a namespaced object in the one
	// namespace the placement selects, for users without cluster-wide read
	// access; it needs exactly one selector of kind Namespace. It cannot be
	// changed after creation.
	// +optional
	// +kubebuilder:default=ClusterScopeOnly
	// +kubebuilder:validation:Enum=ClusterScopeOnly;NamespaceAccessible
	StatusReportingScope StatusReportingScope `json:"statusReportingScope,omitempty"`
}

// Tolerations returns the policy's tolerations, or nil without a policy.
func (p *PlacementSpec) Tolerations() []Toleration {
	if p.Policy == nil {
		return nil
	}
	return p.Policy.Tolerations
}

// ResourceSelectorTerm picks hub resources by group, version and kind, and
// optionally by name or by labels (not both). A resource must match every
// field that is set. Without name and labelSelector every resource of the kind
// is picked.
// +kubebuilder:validation:XValidation:rule="!(has(self.name) && size(self.name) > 0 && has(self.labelSelector))",message="name and labelSelector are mutually exclusive in a resource selector"
// +kubebuilder:validation:XValidation:rule="!has(self.selectionScope) || self.selectionScope == 'NamespaceWithResources' || (size(self.group) == 0 && self.kind == 'Namespace')",message="selectionScope NamespaceOnly and NamespaceWithResourceSelectors only apply to a selector of kind Namespace in the core group; remove selectionScope from this selector"
type ResourceSelectorTerm struct {
	// group is the API group of the resources; "" is the core group (for
	// example for namespaces).
	// +required
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group"`

	// version is the API version of the resources, such as v1.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Version string `json:"version"`

	// kind is the kind of the resources, such as Namespace. Selecting a
	// namespace also selects what is inside it, as selectionScope says.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// name picks the single resource with this name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// labelSelector picks the resources whose labels match.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// selectionScope says what selecting a namespace brings along:
	// NamespaceWithResources (default) places the namespace and everything in
	// it; NamespaceOnly places the namespace alone; NamespaceWithResourceSelectors
	// places the namespace plus only the namespaced resources the placement's
	// other selectors pick inside it.
	// +optional
	// +kubebuilder:default=NamespaceWithResources
	// +kubebuilder:validation:Enum=NamespaceOnly;NamespaceWithResources;NamespaceWithResourceSelectors
	SelectionScope SelectionScope `json:"selectionScope,omitempty"`
}

// SelectionScope is what selecting a namespace brings along.
// +enum
type SelectionScope string

const (
	// NamespaceOnly places the namespace object alone.
	NamespaceOnly SelectionScope = "NamespaceOnly"
	// NamespaceWithResources places the namespace and every resource in it.
	NamespaceWithResources SelectionScope = "NamespaceWithResources"
	// NamespaceWithResourceSelectors places the namespace and those resources
	// in it that the placement's other selectors pick.
	NamespaceWithResourceSelectors SelectionScope = "NamespaceWithResourceSelectors"
)

// StatusReportingScope is who can read a placement's status.
// +enum
type StatusReportingScope string

const (
	// ClusterScopeOnly keeps the status on the cluster-scoped placement only.
	ClusterScopeOnly StatusReportingScope = "ClusterScopeOnly"
	// NamespaceAccessible also mirrors the status into the selected namespace.
	NamespaceAccessible StatusReportingScope = "NamespaceAccessible"
)

// PlacementType is how a policy picks clusters.
// +enum
type PlacementType string

const (
	// PickAllPlacementType picks every joined cluster that matches the affinity.
	PickAllPlacementType PlacementType = "PickAll"
	// PickNPlacementType picks numberOfClusters clusters, the best scoring first.
	PickNPlacementType PlacementType = "PickN"
	// PickFixedPlacementType picks exactly the clusters listed in clusterNames.
	PickFixedPlacementType PlacementType = "PickFixed"
)

// PlacementPolicy says which member clusters receive the selected resources.
// Only joined clusters are ever picked.
type PlacementPolicy struct {
	// placementType is PickAll (default: every matching cluster), PickN
	// (numberOfClusters of them) or PickFixed (the clusters in clusterNames).
	// +optional
	// +kubebuilder:default=PickAll
	// +kubebuilder:validation:Enum=PickAll;PickN;PickFixed
	PlacementType PlacementType `json:"placementType,omitempty"`

	// clusterNames lists the member clusters a PickFixed policy places on
	// (required there, not allowed otherwise). At most 100.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=63
	ClusterNames []string `json:"clusterNames,omitempty"`

	// numberOfClusters is how many clusters a PickN policy picks (required
	// there, not allowed otherwise). Changing it rescales the placement
	// without a new policy snapshot.
	// +optional
	// +kubebuilder:validation:Minimum=0
	NumberOfClusters *int32 `json:"numberOfClusters,omitempty"`

	// affinity restricts (required terms) and ranks (preferred terms, PickN
	// only) the clusters a PickAll or PickN policy may pick.
	// +optional
	Affinity *Affinity `json:"affinity,omitempty"`

	// topologySpreadConstraints spread a PickN placement over the values of
	// cluster labels; all constraints must hold.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +patchMergeKey=topologyKey
	// +patchStrategy=merge
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty" patchStrategy:"merge" patchMergeKey:"topologyKey"`

	// tolerations let the placement use member clusters with matching taints.
	// Tolerations can be added but not changed or removed. At most 100.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Tolerations []Toleration `json:"tolerations,omitempty"`
}

// Affinity groups the cluster affinity rules.
type Affinity struct {
	// clusterAffinity restricts and ranks the member clusters.
	// +optional
	ClusterAffinity *ClusterAffinity `json:"clusterAffinity,omitempty"`
}

// ClusterAffinity restricts and ranks the member clusters a policy may pick.
type ClusterAffinity struct {
	// requiredDuringSchedulingIgnoredDuringExecution: a cluster must match
	// one of these terms to be picked. A cluster that stops matching later
	// is not necessarily removed.
	// +optional
	RequiredDuringSchedulingIgnoredDuringExecution *ClusterSelector `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`

	// preferredDuringSchedulingIgnoredDuringExecution scores clusters: every
	// matching term adds its weight, and PickN takes the best scoring
	// clusters first. Not allowed with PickAll. Later score changes do not
	// necessarily move the placement.
	// +optional
	PreferredDuringSchedulingIgnoredDuringExecution []PreferredClusterSelector `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// ClusterSelector is a list of terms; a cluster matching any term matches.
// +kubebuilder:validation:XValidation:rule="self.clusterSelectorTerms.all(t, !has(t.propertySorter))",message="propertySorter is not allowed in requiredDuringSchedulingIgnoredDuringExecution affinity terms"
type ClusterSelector struct {
	// clusterSelectorTerms are alternatives; at most 10.
	// +required
	// +kubebuilder:validation:MaxItems=10
	ClusterSelectorTerms []ClusterSelectorTerm `json:"clusterSelectorTerms"`
}

// PreferredClusterSelector is a weighted term used to score clusters.
// +kubebuilder:validation:XValidation:rule="!has(self.preference.propertySelector)",message="propertySelector is not allowed in preferredDuringSchedulingIgnoredDuringExecution affinity terms"
type PreferredClusterSelector struct {
	// weight is added to the score of every cluster matching preference;
	// from -100 to 100.
	// +required
	// +kubebuilder:validation:Minimum=-100
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`

	// preference is the term a cluster must match to receive weight.
	// +required
	Preference ClusterSelectorTerm `json:"preference"`
}

// ClusterSelectorTerm matches member clusters by labels and by the
// properties their property provider reports; a cluster must match every
// part that is set.
type ClusterSelectorTerm struct {
	// labelSelector matches the labels of the MemberCluster object.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// propertySelector matches reported cluster properties (such as node
	// count or available CPU). Only in required terms; needs a property
	// provider on the member clusters.
	// +optional
	PropertySelector *PropertySelector `json:"propertySelector,omitempty"`

	// propertySorter scores matching clusters by a reported property, scaled
	// linearly between the lowest and highest observed values. Only in
	// preferred terms; needs a property provider on the member clusters.
	// +optional
	PropertySorter *PropertySorter `json:"propertySorter,omitempty"`
}

// PropertySelector is a list of property requirements that must all hold.
type PropertySelector struct {
	// matchExpressions must all hold for a cluster to match.
	// +required
	MatchExpressions []PropertySelectorRequirement `json:"matchExpressions"`
}

// PropertySelectorRequirement compares one reported cluster property with a value.
type PropertySelectorRequirement struct {
	// name is the property name, in Kubernetes label-name form.
	// +required
	// +kubebuilder:validation:MaxLength=317
	Name string `json:"name"`

	// operator is the comparison: Gt, Ge, Eq, Ne, Lt or Le.
	// +required
	// +kubebuilder:validation:Enum=Gt;Ge;Eq;Ne;Lt;Le
	Operator PropertySelectorOperator `json:"operator"`

	// values holds the one value (a Kubernetes quantity) the observed
	// property is compared with.
	// +required
	// +kubebuilder:validation:MaxItems=1
	Values []string `json:"values"`
}

// PropertySelectorOperator is how an observed property is compared with a value.
// +enum
type PropertySelectorOperator string

const (
	// PropertySelectorGreaterThan matches when the observed value is greater.
	PropertySelectorGreaterThan PropertySelectorOperator = "Gt"
	// PropertySelectorGreaterThanOrEqualTo matches when the observed value is greater or equal.
	PropertySelectorGreaterThanOrEqualTo PropertySelectorOperator = "Ge"
	// PropertySelectorEqualTo matches when the observed value is equal.
	PropertySelectorEqualTo PropertySelectorOperator = "Eq"
	// PropertySelectorNotEqualTo matches when the observed value differs.
	PropertySelectorNotEqualTo PropertySelectorOperator = "Ne"
	// PropertySelectorLessThan matches when the observed value is smaller.
	PropertySelectorLessThan PropertySelectorOperator = "Lt"
	// PropertySelectorLessThanOrEqualTo matches when the observed value is smaller or equal.
	PropertySelectorLessThanOrEqualTo PropertySelectorOperator = "Le"
)

// PropertySorter scores clusters by one reported property.
type PropertySorter struct {
	// name is the property to sort by.
	// +required
	// +kubebuilder:validation:MaxLength=317
	Name string `json:"name"`

	// sortOrder is Descending (higher values score more) or Ascending
	// (lower values score more).
	// +required
	// +kubebuilder:validation:Enum=Descending;Ascending
	SortOrder PropertySortOrder `json:"sortOrder"`
}

// PropertySortOrder is the direction of a property sort.
// +enum
type PropertySortOrder string

const (
	// Descending gives the full weight to the cluster with the highest value
	// and none to the one with the lowest.
	Descending PropertySortOrder = "Descending"
	// Ascending gives the full weight to the cluster with the lowest value
	// and none to the one with the highest.
	Ascending PropertySortOrder = "Ascending"
)

// TopologySpreadConstraint spreads a placement over the values of a cluster label.
type TopologySpreadConstraint struct {
	// maxSkew is the largest allowed difference between the number of picked
	// clusters in any topology domain and in the least used one. Defaults to 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	MaxSkew *int32 `json:"maxSkew,omitempty"`

	// topologyKey is the cluster label whose values form the topology
	// domains; clusters with the same value share a domain.
	// +required
	// +kubebuilder:validation:MaxLength=317
	TopologyKey string `json:"topologyKey"`

	// whenUnsatisfiable is DoNotSchedule (default: do not pick a cluster that
	// breaks the constraint) or ScheduleAnyway (pick it, preferring clusters
	// that reduce the skew).
	// +optional
	// +kubebuilder:validation:Enum=DoNotSchedule;ScheduleAnyway
	WhenUnsatisfiable UnsatisfiableConstraintAction `json:"whenUnsatisfiable,omitempty"`
}

// UnsatisfiableConstraintAction is what to do when a spread constraint cannot hold.
// +enum
type UnsatisfiableConstraintAction string

const (
	// DoNotSchedule does not pick clusters that break the constraint.
	DoNotSchedule UnsatisfiableConstraintAction = "DoNotSchedule"
	// ScheduleAnyway picks them, preferring clusters that reduce the skew.
	ScheduleAnyway UnsatisfiableConstraintAction = "ScheduleAnyway"
)

// Toleration lets a placement use clusters carrying a matching taint
// (key, value and effect, compared with operator).
// +kubebuilder:validation:XValidation:rule="!(has(self.operator) && self.operator == 'Exists' && has(self.value) && size(self.value) > 0)",message="value must be empty when operator is Exists"
// +kubebuilder:validation:XValidation:rule="(has(self.key) && size(self.key) > 0) || (has(self.operator) && self.operator == 'Exists')",message="operator must be Exists when key is empty"
type Toleration struct {
	// key is the taint key tolerated; empty (with operator Exists) tolerates every taint.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	Key string `json:"key,omitempty"`

	// operator is Equal (default: the taint value must equal value) or
	// Exists (any value).
	// +optional
	// +kubebuilder:default=Equal
	// +kubebuilder:validation:Enum=Equal;Exists
	Operator corev1.TolerationOperator `json:"operator,omitempty"`

	// value is the taint value tolerated with operator Equal; empty with Exists.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`

	// effect is the taint effect tolerated; empty tolerates every effect.
	// Only NoSchedule can be given.
	// +optional
	// +kubebuilder:validation:Enum=NoSchedule
	Effect corev1.TaintEffect `json:"effect,omitempty"`
}

// RolloutStrategyType is who rolls changes out to the clusters.
// +enum
type RolloutStrategyType string

const (
	// RollingUpdateRolloutStrategyType lets the placement roll changes out
	// itself, a few clusters at a time.
	RollingUpdateRolloutStrategyType RolloutStrategyType = "RollingUpdate"
	// ExternalRolloutStrategyType leaves the rollout to another controller,
	// such as a ClusterStagedUpdateRun.
	ExternalRolloutStrategyType RolloutStrategyType = "External"
)

// RolloutStrategy says how changes of the selected resources reach the clusters.
type RolloutStrategy struct {
	// type is RollingUpdate (default) or External (an update run rolls the
	// placement out). A placement can move from RollingUpdate to External
	// but not back.
	// +optional
	// +kubebuilder:default=RollingUpdate
	// +kubebuilder:validation:Enum=RollingUpdate;External
	Type RolloutStrategyType `json:"type,omitempty"`

	// resourceSnapshotIndex pins a RollingUpdate rollout to one resource
	// snapshot group instead of the latest; a missing index fails the rollout.
	// +optional
	// +kubebuilder:validation:MaxLength=20
	ResourceSnapshotIndex *string `json:"resourceSnapshotIndex,omitempty"`

	// rollingUpdate tunes the RollingUpdate rollout; not allowed with External.
	// +optional
	RollingUpdate *RollingUpdateConfig `json:"rollingUpdate,omitempty"`

	// applyStrategy says how resources are applied on the member clusters.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.serverSideApplyConfig) || (has(self.type) && self.type == 'ServerSideApply')",message="serverSideApplyConfig is only valid for ServerSideApply strategy type"
	ApplyStrategy *ApplyStrategy `json:"applyStrategy,omitempty"`

	// deleteStrategy says what happens to placed resources when the placement is deleted.
	// +optional
	DeleteStrategy *DeleteStrategy `json:"deleteStrategy,omitempty"`

	// reportBackStrategy says whether and where the status of placed
	// resources is copied back to the hub.
	// +optional
	// +kubebuilder:validation:XValidation:rule="(self == null) || (self.type == 'Mirror' ? size(self.destination) != 0 : true)",message="when reportBackStrategy.type is 'Mirror', a destination must be specified"
	ReportBackStrategy *ReportBackStrategy `json:"reportBackStrategy,omitempty"`
}

// RollingUpdateConfig tunes a rolling update. The target cluster count is the
// number of clusters the scheduler currently picks for the placement.
type RollingUpdateConfig struct {
	// maxUnavailable is how many clusters (a number, or a percentage of the
	// target count, rounded down but at least 1 when above 0%) may be without
	// the placement or in the middle of an update at once. 0 allows moving
	// without downtime but stalls in-place updates. Defaults to 25%.
	// +optional
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern="^((100|[0-9]{1,2})%|[0-9]+)$"
	// +kubebuilder:validation:XValidation:rule="type(self) != string || self.endsWith('%')",message="maxUnavailable must be an integer such as 1 or a percentage such as 25%; a number written as a string needs the % sign"
	// +kubebuilder:validation:XValidation:rule="type(self) != int || (self >= 0 && self <= 2147483647)",message="maxUnavailable must be between 0 and 2147483647 clusters"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// maxSurge is how many clusters (a number, or a percentage of the target
	// count, rounded up) may hold the placement above the target count while
	// it moves. Cannot be 0 when maxUnavailable is 0. Defaults to 25%.
	// +optional
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern="^((100|[0-9]{1,2})%|[0-9]+)$"
	// +kubebuilder:validation:XValidation:rule="type(self) != string || self.endsWith('%')",message="maxSurge must be an integer such as 1 or a percentage such as 25%; a number written as a string needs the % sign"
	// +kubebuilder:validation:XValidation:rule="type(self) != int || (self >= 0 && self <= 2147483647)",message="maxSurge must be between 0 and 2147483647 clusters"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// unavailablePeriodSeconds is how long to wait after applying resources
	// whose availability cannot be tracked before treating them as available
	// and moving on. Defaults to 60.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=0
	UnavailablePeriodSeconds *int `json:"unavailablePeriodSeconds,omitempty"`
}

// DeleteStrategy says what happens to placed resources when the placement is deleted.
type DeleteStrategy struct {
	// propagationPolicy is Delete (default: remove the placed resources from
	// the member clusters) or Abandon (leave them there).
	// +optional
	// +kubebuilder:default=Delete
	// +kubebuilder:validation:Enum=Abandon;Delete
	PropagationPolicy DeletePropagationPolicy `json:"propagationPolicy,omitempty"`
}

// DeletePropagationPolicy is what deleting a placement does to placed resources.
// +enum
type DeletePropagationPolicy string

const (
	// DeletePropagationPolicyAbandon leaves placed resources on the member clusters.
	DeletePropagationPolicyAbandon DeletePropagationPolicy = "Abandon"
	// DeletePropagationPolicyDelete removes placed resources from the member clusters.
	DeletePropagationPolicyDelete DeletePropagationPolicy = "Delete"
)

// ReportBackStrategy says whether and where member-side status is copied back to the hub.
type ReportBackStrategy struct {
	// type is Disabled (default: nothing is copied back) or Mirror (status is
	// copied verbatim to destination).
	// +required
	// +kubebuilder:default=Disabled
	// +kubebuilder:validation:Enum=Disabled;Mirror
	Type ReportBackStrategyType `json:"type"`

	// destination is where Mirror copies status: OriginalResource (the hub
	// object itself; only when the policy picks exactly one cluster) or
	// WorkAPI (the Work object of each cluster).
	// +optional
	// +kubebuilder:validation:Enum=OriginalResource;WorkAPI
	Destination *ReportBackDestination `json:"destination,omitempty"`
}

// ReportBackStrategyType is whether status is copied back to the hub.
// +enum
type ReportBackStrategyType string

const (
	// ReportBackStrategyTypeDisabled copies nothing back.
	ReportBackStrategyTypeDisabled ReportBackStrategyType = "Disabled"
	// ReportBackStrategyTypeMirror copies status verbatim to a destination.
	ReportBackStrategyTypeMirror ReportBackStrategyType = "Mirror"
)

// ReportBackDestination is where mirrored status goes.
// +enum
type ReportBackDestination string

const (
	// ReportBackDestinationOriginalResource writes status to the hub object itself.
	ReportBackDestinationOriginalResource ReportBackDestination = "OriginalResource"
	// ReportBackDestinationWorkAPI writes status to the Work object of each cluster.
	ReportBackDestinationWorkAPI ReportBackDestination = "WorkAPI"
)

// PlacementStatus is what a placement observed. It is shared by every placement kind.
type PlacementStatus struct {
	// selectedResources lists the resources of the snapshot at
	// observedResourceIndex; empty when that index is empty.
	// +optional
	SelectedResources []ResourceIdentifier `json:"selectedResources,omitempty"`

	// observedResourceIndex is the index of the resource snapshot group the
	// placement conditions describe (list its snapshots with
	// `kubectl get clusterresourcesnapshots -l kubernetes-fleet.io/resource-index=<index>`).
	// With RollingUpdate it is the latest group; with External it is set
	// only while every picked cluster reports the same index.
	// +optional
	ObservedResourceIndex string `json:"observedResourceIndex,omitempty"`

	// placementStatuses has one entry per picked cluster (for PickN and
	// PickFixed, entries without clusterName stand for clusters that could
	// not be found).
	// +optional
	PerClusterPlacementStatuses []PerClusterPlacementStatus `json:"placementStatuses,omitempty"`

	// conditions: the Scheduled condition follows the latest scheduling
	// policy; every other condition describes the snapshot at
	// observedResourceIndex. With External and clusters on different
	// snapshots only Scheduled and an Unknown RolloutStarted are kept.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// ResourceIdentifier names one Kubernetes object.
type ResourceIdentifier struct {
	// group is the API group of the object; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`

	// version is the API version of the object.
	// +required
	Version string `json:"version"`

	// kind is the kind of the object.
	// +required
	Kind string `json:"kind"`

	// name is the name of the object.
	// +required
	Name string `json:"name"`

	// namespace is the namespace of the object; empty when cluster-scoped.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// envelope names the envelope object the resource was wrapped in, if any.
	// +optional
	Envelope *EnvelopeIdentifier `json:"envelope,omitempty"`
}

// EnvelopeIdentifier names the envelope object a resource was wrapped in.
type EnvelopeIdentifier struct {
	// name is the name of the envelope object.
	// +required
	Name string `json:"name"`

	// namespace is the namespace of the envelope object; empty when cluster-scoped.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// type is the kind of envelope: ConfigMap (default), ClusterResourceEnvelope
	// or ResourceEnvelope.
	// +optional
	// +kubebuilder:default=ConfigMap
	// +kubebuilder:validation:Enum=ConfigMap;ClusterResourceEnvelope;ResourceEnvelope
	Type EnvelopeType `json:"type"`
}

// EnvelopeType is the kind of an envelope object.
// +enum
type EnvelopeType string

const (
	// ConfigMapEnvelopeType is a ConfigMap used as an envelope.
	ConfigMapEnvelopeType EnvelopeType = "ConfigMap"
	// ClusterResourceEnvelopeType is a ClusterResourceEnvelope object.
	ClusterResourceEnvelopeType EnvelopeType = "ClusterResourceEnvelope"
	// ResourceEnvelopeType is a ResourceEnvelope object.
	ResourceEnvelopeType EnvelopeType = "ResourceEnvelope"
)

// PerClusterPlacementStatus is how the placement is doing on one cluster.
type PerClusterPlacementStatus struct {
	// clusterName is the member cluster; empty for a PickN or PickFixed slot
	// no cluster could fill. Unique within a placement.
	// +optional
	ClusterName string `json:"clusterName,omitempty"`

	// observedResourceIndex is the index of the resource snapshot group
	// being placed on this cluster.
	// +optional
	ObservedResourceIndex string `json:"observedResourceIndex,omitempty"`

	// applicableResourceOverrides are the ResourceOverride snapshots applied
	// to the resources for this cluster.
	// +optional
	ApplicableResourceOverrides []NamespacedName `json:"applicableResourceOverrides,omitempty"`

	// applicableClusterResourceOverrides are the ClusterResourceOverride
	// snapshots applied to the resources for this cluster.
	// +optional
	ApplicableClusterResourceOverrides []string `json:"applicableClusterResourceOverrides,omitempty"`

	// failedPlacements lists resources that failed to apply or are not
	// available on this cluster; the first 100 only.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	FailedPlacements []FailedResourcePlacement `json:"failedPlacements,omitempty"`

	// driftedPlacements lists resources whose live state drifted from the hub
	// manifest; the first 100 only.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	DriftedPlacements []DriftedResourcePlacement `json:"driftedPlacements,omitempty"`

	// diffedPlacements lists resources that differ from the hub manifest, as
	// found by ReportDiff or by a takeover with IfNoDiff; the first 100 only.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	DiffedPlacements []DiffedResourcePlacement `json:"diffedPlacements,omitempty"`

	// conditions describe the snapshot at observedResourceIndex on this
	// cluster (types in PerClusterPlacementConditionType).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FailedResourcePlacement is a resource that failed on a cluster, with the
// condition that says why.
type FailedResourcePlacement struct {
	// The resource that failed.
	ResourceIdentifier `json:",inline"`

	// condition is the failed condition of the resource.
	// +required
	Condition metav1.Condition `json:"condition"`
}

// PatchDetail is one difference between a live object and its hub manifest,
// shaped like an RFC 6902 JSON patch operation.
type PatchDetail struct {
	// path is the JSON pointer of the differing field.
	// +required
	Path string `json:"path"`

	// valueInMember is the value on the member cluster; empty when the field
	// is missing there.
	// +optional
	ValueInMember string `json:"valueInMember,omitempty"`

	// valueInHub is the value in the hub manifest; empty when the manifest
	// does not set the field.
	// +optional
	ValueInHub string `json:"valueInHub,omitempty"`
}

// DriftedResourcePlacement is a resource whose live state drifted from its hub manifest.
type DriftedResourcePlacement struct {
	// The resource that drifted.
	ResourceIdentifier `json:",inline"`

	// observationTime is when the drift was last seen.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	ObservationTime metav1.Time `json:"observationTime"`

	// targetClusterObservedGeneration is the generation of the live object that drifted.
	// +required
	TargetClusterObservedGeneration int64 `json:"targetClusterObservedGeneration"`

	// firstDriftedObservedTime is when the drift was first seen.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	FirstDriftedObservedTime metav1.Time `json:"firstDriftedObservedTime"`

	// observedDrifts are the drifted fields, possibly truncated.
	// +optional
	ObservedDrifts []PatchDetail `json:"observedDrifts,omitempty"`
}

// DiffedResourcePlacement is a resource that differs from its hub manifest.
type DiffedResourcePlacement struct {
	// The resource that differs.
	ResourceIdentifier `json:",inline"`

	// observationTime is when the difference was last seen.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	ObservationTime metav1.Time `json:"observationTime"`

	// targetClusterObservedGeneration is the generation of the live object;
	// null when the object does not exist on the cluster yet.
	// +optional
	TargetClusterObservedGeneration *int64 `json:"targetClusterObservedGeneration"`

	// firstDiffedObservedTime is when the difference was first seen.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	FirstDiffedObservedTime metav1.Time `json:"firstDiffedObservedTime"`

	// observedDiffs are the differing fields, possibly truncated.
	// +optional
	ObservedDiffs []PatchDetail `json:"observedDiffs,omitempty"`
}

// ClusterResourcePlacementConditionType is a condition type of a ClusterResourcePlacement.
// +enum
type ClusterResourcePlacementConditionType string

const (
	// ClusterResourcePlacementScheduled is True when the scheduler found every
	// cluster the policy asks for, False when it could not, Unknown before it decided.
	ClusterResourcePlacementScheduled ClusterResourcePlacementConditionType = "ClusterResourcePlacementScheduled"
	// ClusterResourcePlacementRolloutStarted is True once the observed
	// snapshot started rolling out to every picked cluster, False while the
	// rollout holds some back, Unknown while undecided (with External: while
	// the clusters are on different or no snapshots).
	ClusterResourcePlacementRolloutStarted ClusterResourcePlacementConditionType = "ClusterResourcePlacementRolloutStarted"
	// ClusterResourcePlacementOverridden is True when overrides were applied
	// for every cluster (or none were defined), False when one failed.
	ClusterResourcePlacementOverridden ClusterResourcePlacementConditionType = "ClusterResourcePlacementOverridden"
	// ClusterResourcePlacementWorkSynchronized is True when the Work objects
	// of every cluster are up to date in the cluster namespaces on the hub.
	ClusterResourcePlacementWorkSynchronized ClusterResourcePlacementConditionType = "ClusterResourcePlacementWorkSynchronized"
	// ClusterResourcePlacementApplied is True when every cluster applied the
	// resources (or no cluster is picked), False when some failed.
	ClusterResourcePlacementApplied ClusterResourcePlacementConditionType = "ClusterResourcePlacementApplied"
	// ClusterResourcePlacementAvailable is True when the resources are
	// available on every picked cluster.
	ClusterResourcePlacementAvailable ClusterResourcePlacementConditionType = "ClusterResourcePlacementAvailable"
	// ClusterResourcePlacementDiffReported replaces Applied and Available with
	// the ReportDiff apply strategy: True once every cluster reported its differences.
	ClusterResourcePlacementDiffReported ClusterResourcePlacementConditionType = "ClusterResourcePlacementDiffReported"
	// ClusterResourcePlacementStatusSynced is True when the namespaced status
	// mirror of a NamespaceAccessible placement is up to date.
	ClusterResourcePlacementStatusSynced ClusterResourcePlacementConditionType = "ClusterResourcePlacementStatusSynced"
)

// ResourcePlacementConditionType is a condition type of a namespaced
// placement; the values mirror ClusterResourcePlacementConditionType.
// +enum
type ResourcePlacementConditionType string

const (
	// ResourcePlacementScheduled mirrors ClusterResourcePlacementScheduled.
	ResourcePlacementScheduled ResourcePlacementConditionType = "ResourcePlacementScheduled"
	// ResourcePlacementRolloutStarted mirrors ClusterResourcePlacementRolloutStarted.
	ResourcePlacementRolloutStarted ResourcePlacementConditionType = "ResourcePlacementRolloutStarted"
	// ResourcePlacementOverridden mirrors ClusterResourcePlacementOverridden.
	ResourcePlacementOverridden ResourcePlacementConditionType = "ResourcePlacementOverridden"
	// ResourcePlacementWorkSynchronized mirrors ClusterResourcePlacementWorkSynchronized.
	ResourcePlacementWorkSynchronized ResourcePlacementConditionType = "ResourcePlacementWorkSynchronized"
	// ResourcePlacementApplied mirrors ClusterResourcePlacementApplied.
	ResourcePlacementApplied ResourcePlacementConditionType = "ResourcePlacementApplied"
	// ResourcePlacementAvailable mirrors ClusterResourcePlacementAvailable.
	ResourcePlacementAvailable ResourcePlacementConditionType = "ResourcePlacementAvailable"
	// ResourcePlacementDiffReported mirrors ClusterResourcePlacementDiffReported.
	ResourcePlacementDiffReported ResourcePlacementConditionType = "ResourcePlacementDiffReported"
)

// PerClusterPlacementConditionType is a condition type of one cluster's entry
// in placementStatuses. Except for Scheduled they are copied from the binding.
// +enum
type PerClusterPlacementConditionType string

const (
	// PerClusterScheduled is True when the cluster was picked.
	PerClusterScheduled PerClusterPlacementConditionType = "Scheduled"
	// PerClusterRolloutStarted is True once the rollout pointed the cluster at
	// the observed snapshot, False while the rollout strategy holds it back.
	PerClusterRolloutStarted PerClusterPlacementConditionType = "RolloutStarted"
	// PerClusterOverridden is True when overrides were applied (or none were defined).
	PerClusterOverridden PerClusterPlacementConditionType = "Overridden"
	// PerClusterWorkSynchronized is True when the cluster's Work objects are up to date.
	PerClusterWorkSynchronized PerClusterPlacementConditionType = "WorkSynchronized"
	// PerClusterApplied is True when the cluster applied every resource.
	PerClusterApplied PerClusterPlacementConditionType = "Applied"
	// PerClusterAvailable is True when every resource is available on the cluster.
	PerClusterAvailable PerClusterPlacementConditionType = "Available"
	// PerClusterDiffReported is True once the cluster reported all differences (ReportDiff).
	PerClusterDiffReported PerClusterPlacementConditionType = "DiffReported"
)

// Reasons of the placement-level conditions (ClusterResourcePlacement* and
// ResourcePlacement* types).
const (
	// PlacementInvalidResourceSelectorsReason: the resource selectors pick
	// something that cannot be placed.
	PlacementInvalidResourceSelectorsReason = "InvalidResourceSelectors"

	// PlacementSchedulePendingReason: Scheduled is Unknown, no decision yet.
	PlacementSchedulePendingReason = "SchedulePending"
	// PlacementScheduleSucceededReason: Scheduled is True.
	PlacementScheduleSucceededReason = "ScheduleSucceeded"
	// PlacementScheduleFailedReason: Scheduled is False.
	PlacementScheduleFailedReason = "ScheduleFailed"

	// PlacementRolloutStartedUnknownReason: RolloutStarted is Unknown.
	PlacementRolloutStartedUnknownReason = "RolloutStartedUnknown"
	// PlacementRolloutControlledByExternalControllerReason: RolloutStarted is
	// Unknown because an External placement has clusters on different
	// snapshots, or on none yet.
	PlacementRolloutControlledByExternalControllerReason = "RolloutControlledByExternalController"
	// PlacementRolloutNotStartedYetReason: RolloutStarted is False.
	PlacementRolloutNotStartedYetReason = "RolloutNotStartedYet"
	// PlacementRolloutStartedReason: RolloutStarted is True.
	PlacementRolloutStartedReason = "RolloutStarted"

	// PlacementOverriddenPendingReason: Overridden is Unknown.
	PlacementOverriddenPendingReason = "OverriddenPending"
	// PlacementOverrideNotSpecifiedReason: Overridden is True, no override applies.
	PlacementOverrideNotSpecifiedReason = "NoOverrideSpecified"
	// PlacementOverriddenFailedReason: Overridden is False.
	PlacementOverriddenFailedReason = "OverriddenFailed"
	// PlacementOverriddenSucceededReason: Overridden is True.
	PlacementOverriddenSucceededReason = "OverriddenSucceeded"

	// PlacementWorkSynchronizedUnknownReason: WorkSynchronized is Unknown.
	PlacementWorkSynchronizedUnknownReason = "WorkSynchronizedUnknown"
	// PlacementWorkNotSynchronizedYetReason: WorkSynchronized is False.
	PlacementWorkNotSynchronizedYetReason = "WorkNotSynchronizedYet"
	// PlacementWorkSynchronizedReason: WorkSynchronized is True.
	PlacementWorkSynchronizedReason = "WorkSynchronized"

	// PlacementApplyPendingReason: Applied is Unknown.
	PlacementApplyPendingReason = "ApplyPending"
	// PlacementApplyFailedReason: Applied is False.
	PlacementApplyFailedReason = "ApplyFailed"
	// PlacementApplySucceededReason: Applied is True.
	PlacementApplySucceededReason = "ApplySucceeded"

	// PlacementAvailableUnknownReason: Available is Unknown.
	PlacementAvailableUnknownReason = "ResourceAvailableUnknown"
	// PlacementNotAvailableYetReason: Available is False.
	PlacementNotAvailableYetReason = "ResourceNotAvailableYet"
	// PlacementAvailableReason: Available is True.
	PlacementAvailableReason = "ResourceAvailable"

	// PlacementDiffReportingPendingReason: DiffReported is Unknown.
	PlacementDiffReportingPendingReason = "DiffReportingPending"
	// PlacementDiffReportingIncompleteOrFailedReason: DiffReported is False.
	PlacementDiffReportingIncompleteOrFailedReason = "DiffReportingIncompleteOrFailed"
	// PlacementDiffReportingCompletedReason: DiffReported is True.
	PlacementDiffReportingCompletedReason = "DiffReportingCompleted"

	// PlacementStatusSyncFailedReason: StatusSynced is False.
	PlacementStatusSyncFailedReason = "StatusSyncFailed"
	// PlacementStatusSyncSucceededReason: StatusSynced is True.
	PlacementStatusSyncSucceededReason = "StatusSyncSucceeded"
)

// Messages of RolloutStarted=Unknown/RolloutControlledByExternalController.
const (
	// PlacementExternalRolloutNotStartedMessage: no picked cluster is on any snapshot yet.
	PlacementExternalRolloutNotStartedMessage = "Rollout is controlled by an external controller and no resource snapshot name is observed across clusters, probably rollout has not started yet"
	// PlacementExternalRolloutMixedSnapshotsMessage: picked clusters are on different snapshots.
	PlacementExternalRolloutMixedSnapshotsMessage = "Rollout is controlled by an external controller and different resource snapshot versions are observed across clusters"
)

// Reasons of the per-cluster Scheduled condition; the other per-cluster
// conditions carry the binding's reasons.
const (
	// PerClusterScheduledReason: the cluster was picked.
	PerClusterScheduledReason = "Scheduled"
)

// GetCondition returns the placement's condition of the given type, or nil.
func (p *ClusterResourcePlacement) GetCondition(conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(p.Status.Conditions, conditionType)
}

// SetConditions adds or updates the given conditions on the placement.
func (p *ClusterResourcePlacement) SetConditions(conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&p.Status.Conditions, c)
	}
}

// RemoveCondition removes the placement's condition of the given type.
func (p *ClusterResourcePlacement) RemoveCondition(conditionType string) {
	meta.RemoveStatusCondition(&p.Status.Conditions, conditionType)
}

func init() {
	SchemeBuilder.Register(&ClusterResourcePlacement{}, &ClusterResourcePlacementList{})
}
