package v1beta1

// Kinds served by this group, for owner references, events and messages.
const (
	ClusterResourcePlacementKind        = "ClusterResourcePlacement"
	ClusterSchedulingPolicySnapshotKind = "ClusterSchedulingPolicySnapshot"
	ClusterResourceSnapshotKind         = "ClusterResourceSnapshot"
	ClusterResourceBindingKind          = "ClusterResourceBinding"
	ClusterStagedUpdateStrategyKind     = "ClusterStagedUpdateStrategy"
	ClusterStagedUpdateRunKind          = "ClusterStagedUpdateRun"
	ClusterApprovalRequestKind          = "ClusterApprovalRequest"
	WorkKind                            = "Work"
	AppliedWorkKind                     = "AppliedWork"
)

// fleetPrefix prefixes every label, annotation and finalizer Flotilla owns.
// Unprefixed keys are left to users.
const fleetPrefix = "kubernetes-fleet.io/"

// Labels shared by the placement pipeline.
const (
	// PlacementTrackingLabel names the placement a snapshot, binding or Work belongs to.
	PlacementTrackingLabel = fleetPrefix + "parent-CRP"
	// IsLatestSnapshotLabel is "true" on the newest policy snapshot and on every
	// member of the newest resource snapshot group, "false" on older ones.
	IsLatestSnapshotLabel = fleetPrefix + "is-latest-snapshot"
	// PolicyIndexLabel holds the index of a scheduling policy snapshot.
	PolicyIndexLabel = fleetPrefix + "policy-index"
	// ResourceIndexLabel holds the index of a resource snapshot group.
	ResourceIndexLabel = fleetPrefix + "resource-index"
	// ParentBindingLabel names the binding a Work was generated from.
	ParentBindingLabel = fleetPrefix + "parent-resource-binding"
	// ParentResourceSnapshotIndexLabel holds the resource index a Work was generated from.
	ParentResourceSnapshotIndexLabel = fleetPrefix + "parent-resource-snapshot-index"
	// ParentNamespaceLabel holds the namespace of a namespaced placement a Work belongs to.
	ParentNamespaceLabel = fleetPrefix + "parent-placement-namespace"
	// FleetResourceLabelKey marks an object as created by the fleet itself.
	FleetResourceLabelKey = fleetPrefix + "is-fleet-resource"
)

// Labels on approval requests, set by the update run that creates them.
const (
	// TargetUpdateRunLabel names the update run an approval request belongs to.
	TargetUpdateRunLabel = fleetPrefix + "targetUpdateRun"
	// TargetUpdatingStageNameLabel names the stage an approval request gates.
	TargetUpdatingStageNameLabel = fleetPrefix + "targetUpdatingStage"
	// TaskTypeLabel says whether an approval request gates the start
	// (BeforeStageTaskLabelValue) or the end (AfterStageTaskLabelValue) of a stage.
	TaskTypeLabel = fleetPrefix + "taskType"
	// IsLatestUpdateRunApprovalLabel is kept for KubeFleet compatibility; it is always "true".
	IsLatestUpdateRunApprovalLabel = fleetPrefix + "isLatestUpdateRunApproval"

	// BeforeStageTaskLabelValue is the TaskTypeLabel value of a before-stage approval.
	BeforeStageTaskLabelValue = "beforeStage"
	// AfterStageTaskLabelValue is the TaskTypeLabel value of an after-stage approval.
	AfterStageTaskLabelValue = "afterStage"
)

// Annotations.
const (
	// NumberOfClustersAnnotation holds the desired cluster count of a PickN policy snapshot.
	NumberOfClustersAnnotation = fleetPrefix + "number-of-clusters"
	// ResourceGroupHashAnnotation holds the sha-256 of a resource snapshot group's
	// selected resources; only the group's master snapshot carries it.
	ResourceGroupHashAnnotation = fleetPrefix + "resource-hash"
	// NumberOfResourceSnapshotsAnnotation holds how many snapshots form a group (on the master).
	NumberOfResourceSnapshotsAnnotation = fleetPrefix + "number-of-resource-snapshots"
	// SubindexOfResourceSnapshotAnnotation holds the sub-index of a non-master snapshot.
	SubindexOfResourceSnapshotAnnotation = fleetPrefix + "subindex-of-resource-snapshot"
	// NumberOfEnvelopedObjectsAnnotation holds how many envelope objects a group has (on the master).
	NumberOfEnvelopedObjectsAnnotation = fleetPrefix + "number-of-enveloped-object"
	// NextResourceSnapshotCandidateDetectionTimeAnnotation batches resource changes on the latest snapshot.
	NextResourceSnapshotCandidateDetectionTimeAnnotation = fleetPrefix + "next-resource-snapshot-candidate-detection-time"
	// ParentResourceSnapshotNameAnnotation names the master resource snapshot a Work was built from.
	ParentResourceSnapshotNameAnnotation = fleetPrefix + "parent-resource-snapshot-name"
	// ParentResourceOverrideSnapshotHashAnnotation holds the hash of the resource override snapshots applied to a Work.
	ParentResourceOverrideSnapshotHashAnnotation = fleetPrefix + "parent-resource-override-snapshot-hash"
	// ParentClusterResourceOverrideSnapshotHashAnnotation holds the hash of the cluster resource override snapshots applied to a Work.
	ParentClusterResourceOverrideSnapshotHashAnnotation = fleetPrefix + "parent-cluster-resource-override-snapshot-hash"
	// CRPGenerationAnnotation holds the placement generation a policy snapshot
	// was last written for; the scheduler reports it as observedCRPGeneration.
	CRPGenerationAnnotation = fleetPrefix + "CRP-generation"
	// PreviousBindingStateAnnotation remembers whether an Unscheduled binding was Bound or Scheduled before.
	PreviousBindingStateAnnotation = fleetPrefix + "previous-binding-state"
	// BindingUpdateRunAnnotation names, on a binding, the update run that
	// last bound it to a resource snapshot (the key approval requests carry
	// as TargetUpdateRunLabel). The update run sets it with the binding's
	// spec; the work generator names the run in RolloutStarted from it.
	BindingUpdateRunAnnotation = TargetUpdateRunLabel
)

// Finalizers.
const (
	// PlacementCleanupFinalizer lets the placement controller remove snapshots before a placement goes.
	PlacementCleanupFinalizer = fleetPrefix + "crp-cleanup"
	// SchedulerCleanupFinalizer lets the scheduler release a placement's bindings before it goes.
	SchedulerCleanupFinalizer = fleetPrefix + "scheduler-cleanup"
	// SchedulerBindingCleanupFinalizer keeps a binding until the scheduler has accounted for its removal.
	SchedulerBindingCleanupFinalizer = fleetPrefix + "scheduler-crb-cleanup"
	// WorkFinalizer keeps a binding until its Works are gone, and a Work until the
	// member agent has removed what it applied.
	WorkFinalizer = fleetPrefix + "work-cleanup"
	// ClusterStagedUpdateRunFinalizer keeps an update run until its approval requests are deleted.
	ClusterStagedUpdateRunFinalizer = fleetPrefix + "stagedupdaterun-finalizer"
)

// Names.
const (
	// UpdateRunDeleteStageName is the stageName of an update run's deletion stage.
	UpdateRunDeleteStageName = fleetPrefix + "deleteStage"
	// ResourceSnapshotNameFmt formats a master resource snapshot name: <placement>-<index>-snapshot.
	ResourceSnapshotNameFmt = "%s-%d-snapshot"
	// ResourceSnapshotNameWithSubindexFmt formats a sub-snapshot name: <placement>-<index>-<subindex>.
	ResourceSnapshotNameWithSubindexFmt = "%s-%d-%d"
	// PolicySnapshotNameFmt formats a scheduling policy snapshot name: <placement>-<index>.
	PolicySnapshotNameFmt = "%s-%d"
	// FirstWorkNameFmt formats the name of the Work built from a master snapshot: <placement>-work.
	FirstWorkNameFmt = "%s-work"
	// WorkNameWithSubindexFmt formats the name of the Work built from a sub-snapshot: <placement>-<subindex>.
	WorkNameWithSubindexFmt = "%s-%d"
	// AfterStageApprovalTaskNameFmt formats an after-stage approval request name: <run>-<stage>.
	AfterStageApprovalTaskNameFmt = "%s-%s"
	// BeforeStageApprovalTaskNameFmt formats a before-stage approval request name: <run>-before-<stage>.
	BeforeStageApprovalTaskNameFmt = "%s-before-%s"
)

// NamespacedName names a namespaced object; both parts are required.
type NamespacedName struct {
	// name of the object.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the object.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
}
