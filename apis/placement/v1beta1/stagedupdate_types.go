package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName={crsur,csur}
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.spec.placementName`,name="Placement",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.resourceSnapshotIndexUsed`,name="Resource-Snapshot",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.policySnapshotIndexUsed`,name="Policy-Snapshot",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Initialized")].status`,name="Initialized",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Progressing")].status`,name="Progressing",type=string,priority=1
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Succeeded")].status`,name="Succeeded",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date
// +kubebuilder:printcolumn:JSONPath=`.spec.stagedRolloutStrategyName`,name="Strategy",type=string,priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) < 64",message="metadata.name max length is 63"

// ClusterStagedUpdateRun rolls one resource snapshot of a ClusterResourcePlacement
// out to its clusters stage by stage, following a ClusterStagedUpdateStrategy.
// A run pins one snapshot for its whole life; a rollback is a new run that
// names an older snapshot index. After the update stages, a deletion stage
// removes the placement from clusters the scheduler no longer picks.
type ClusterStagedUpdateRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which placement, snapshot and strategy the run uses, and whether it runs.
	// +required
	Spec UpdateRunSpec `json:"spec"`

	// status records the plan computed at initialization and the progress of every stage and cluster.
	// +optional
	Status UpdateRunStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterStagedUpdateRunList is a list of ClusterStagedUpdateRun.
type ClusterStagedUpdateRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterStagedUpdateRun `json:"items"`
}

// State is the state a user asks an update run to be in.
// +kubebuilder:validation:Enum=Initialize;Run;Stop
type State string

const (
	// StateInitialize asks for the run's plan to be computed without touching any cluster.
	StateInitialize State = "Initialize"
	// StateRun asks the run to execute, or to resume after a Stop. An absent state means Run.
	StateRun State = "Run"
	// StateStop asks the run to pause once the clusters already updating have finished.
	StateStop State = "Stop"
)

// UpdateRunSpec is the desired state of an update run. Everything except
// state is fixed at creation, so the run's generation only moves when its
// state changes.
// +kubebuilder:validation:XValidation:rule="(has(self.resourceSnapshotIndex) && size(self.resourceSnapshotIndex) > 0) == (has(oldSelf.resourceSnapshotIndex) && size(oldSelf.resourceSnapshotIndex) > 0) && (!has(self.resourceSnapshotIndex) || !has(oldSelf.resourceSnapshotIndex) || self.resourceSnapshotIndex == oldSelf.resourceSnapshotIndex)",message="resourceSnapshotIndex is immutable: create a new update run to roll out another snapshot"
// +kubebuilder:validation:XValidation:rule="!(has(oldSelf.state) && oldSelf.state == 'Initialize' && has(self.state) && self.state == 'Stop')",message="invalid state transition: cannot transition from Initialize to Stop; set state to Run to start the run"
// +kubebuilder:validation:XValidation:rule="!((!has(oldSelf.state) || oldSelf.state == 'Run') && has(self.state) && self.state == 'Initialize')",message="invalid state transition: cannot transition from Run to Initialize; set state to Stop to pause the run"
// +kubebuilder:validation:XValidation:rule="!(has(oldSelf.state) && oldSelf.state == 'Stop' && has(self.state) && self.state == 'Initialize')",message="invalid state transition: cannot transition from Stop to Initialize; set state to Run to resume the run"
type UpdateRunSpec struct {
	// placementName is the name of the ClusterResourcePlacement this run rolls out.
	// The placement must use the External rollout strategy.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="placementName is immutable: create a new update run for another placement"
	PlacementName string `json:"placementName"`

	// resourceSnapshotIndex is the index of the resource snapshot group to roll
	// out, as a decimal string ("0", "1", ...). Leave it empty to roll out the
	// placement's latest snapshot; the index actually used is recorded in
	// status.resourceSnapshotIndexUsed.
	// +optional
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]*$')",message="resourceSnapshotIndex must be a non-negative integer such as \"0\" or \"1\"; leave it empty to roll out the latest snapshot"
	ResourceSnapshotIndex string `json:"resourceSnapshotIndex,omitempty"`

	// stagedRolloutStrategyName is the name of the ClusterStagedUpdateStrategy
	// that groups the clusters into stages. The strategy is copied into the
	// run's status when the run initializes; later edits to it do not affect the run.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="stagedRolloutStrategyName is immutable: create a new update run to use another strategy"
	StagedUpdateStrategyName string `json:"stagedRolloutStrategyName"`

	// state is the state the run should be in. Absent means Run: the run
	// initializes and starts at once. Initialize only computes the plan;
	// Stop pauses after the clusters already updating finish; Run resumes.
	// Allowed changes: Initialize→Run, Run→Stop, Stop→Run.
	// +optional
	State State `json:"state,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=csus

// ClusterStagedUpdateStrategy is a reusable plan that groups member clusters
// into ordered stages by their labels, with gates before and after each stage.
type ClusterStagedUpdateStrategy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec lists the stages in the order they run.
	// +required
	Spec UpdateStrategySpec `json:"spec"`
}

// +kubebuilder:object:root=true

// ClusterStagedUpdateStrategyList is a list of ClusterStagedUpdateStrategy.
type ClusterStagedUpdateStrategyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterStagedUpdateStrategy `json:"items"`
}

// UpdateStrategySpec lists the stages of a strategy.
type UpdateStrategySpec struct {
	// stages run one after another, in this order. Stage names must be unique.
	// +required
	// +kubebuilder:validation:MaxItems=31
	// +kubebuilder:validation:XValidation:rule="self.all(s, self.exists_one(t, t.name == s.name))",message="stage names must be unique within a strategy; rename the stages that share a name"
	Stages []StageConfig `json:"stages"`
}

// StageConfig is one stage of a strategy.
type StageConfig struct {
	// name identifies the stage; lowercase letters and digits only.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern="^[a-z0-9]+$"
	Name string `json:"name"`

	// labelSelector picks the member clusters of this stage among the clusters
	// the placement selected. An empty selector ({}) takes all of them; an
	// absent selector takes none. A cluster may belong to only one stage.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// sortingLabelKey orders the clusters of the stage by the integer value of
	// this label, ascending, then by name. Without it clusters go in name order.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	SortingLabelKey *string `json:"sortingLabelKey,omitempty"`

	// maxConcurrency is how many clusters of the stage may update at once: a
	// number (at least 1) or a percentage of the stage's clusters ("1%" to
	// "100%", rounded down, at least 1). Defaults to 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern="^(100|[1-9][0-9]?)%$"
	// +kubebuilder:validation:XValidation:rule="self == null || type(self) != int || self >= 1",message="maxConcurrency must be at least 1"
	// +kubebuilder:validation:XValidation:rule="self == null || type(self) != int || self <= 2147483647",message="maxConcurrency must be at most 2147483647; use \"100%\" to update every cluster of the stage at once"
	MaxConcurrency *intstr.IntOrString `json:"maxConcurrency,omitempty"`

	// afterStageTasks gate the move to the next stage once every cluster of
	// this stage is updated; they are evaluated together and all must pass.
	// At most one of each type.
	// +optional
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:XValidation:rule="!self.exists(e, e.type == 'TimedWait' && !has(e.waitTime))",message="AfterStageTaskType is TimedWait, waitTime is required: set waitTime, e.g. 1m"
	// +kubebuilder:validation:XValidation:rule="self.all(e, self.exists_one(f, f.type == e.type))",message="afterStageTasks may hold at most one task of each type; remove the duplicate task"
	AfterStageTasks []StageTask `json:"afterStageTasks,omitempty"`

	// beforeStageTasks gate the start of this stage; only one Approval task is allowed.
	// +optional
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:XValidation:rule="!self.exists(e, e.type == 'TimedWait')",message="BeforeStageTaskType cannot be TimedWait: only an Approval task may run before a stage; use an afterStageTask on the previous stage to wait"
	BeforeStageTasks []StageTask `json:"beforeStageTasks,omitempty"`
}

// StageTaskType is the kind of gate a stage task is.
// +kubebuilder:validation:Enum=TimedWait;Approval
type StageTaskType string

const (
	// StageTaskTypeTimedWait waits for waitTime.
	StageTaskTypeTimedWait StageTaskType = "TimedWait"
	// StageTaskTypeApproval waits for a person to approve a ClusterApprovalRequest.
	StageTaskTypeApproval StageTaskType = "Approval"
)

// StageTask is a gate before or after a stage.
type StageTask struct {
	// type is TimedWait or Approval.
	// +required
	Type StageTaskType `json:"type"`

	// waitTime is how long a TimedWait task waits, counted from the moment all
	// clusters of the stage finished; hours, minutes and seconds only (e.g.
	// "1h30m", "90s"), at most 2562047h. Required for TimedWait. An Approval task
	// ignores it.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern="^(?:(?:0|[1-9][0-9]*)(\\.[0-9]+)?(?:s|m|h))+$"
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('2562047h')",message="waitTime must be at most 2562047h, the longest wait Fleet can hold"
	WaitTime *metav1.Duration `json:"waitTime,omitempty"`
}

// UpdateRunStatus is what an update run observed and decided.
type UpdateRunStatus struct {
	// policySnapshotIndexUsed is the index of the placement's latest scheduling
	// policy snapshot when the run initialized.
	// +optional
	PolicySnapshotIndexUsed string `json:"policySnapshotIndexUsed,omitempty"`

	// policyObservedClusterCount is the number of clusters the policy asked
	// for when the run initialized.
	// +optional
	PolicyObservedClusterCount int `json:"policyObservedClusterCount,omitempty"`

	// resourceSnapshotIndexUsed is the index of the resource snapshot group the
	// run rolls out: spec.resourceSnapshotIndex, or the latest one when that is empty.
	// +optional
	ResourceSnapshotIndexUsed string `json:"resourceSnapshotIndexUsed,omitempty"`

	// appliedStrategy is the placement's apply strategy captured at initialization.
	// +optional
	ApplyStrategy *ApplyStrategy `json:"appliedStrategy,omitempty"`

	// stagedUpdateStrategySnapshot is the strategy copied at initialization;
	// the run follows this copy even if the strategy changes or is deleted.
	// +optional
	UpdateStrategySnapshot *UpdateStrategySpec `json:"stagedUpdateStrategySnapshot,omitempty"`

	// stagesStatus holds one entry per stage, in order, with its clusters and tasks.
	// +optional
	// +kubebuilder:validation:MaxItems=31
	StagesStatus []StageUpdatingStatus `json:"stagesStatus,omitempty"`

	// deletionStageStatus tracks the removal of the placement from clusters the
	// policy no longer picks; it runs after all update stages.
	// +optional
	DeletionStageStatus *StageUpdatingStatus `json:"deletionStageStatus,omitempty"`

	// conditions are Initialized, Progressing and Succeeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// StagedUpdateRunConditionType is a condition type of an update run.
type StagedUpdateRunConditionType string

const (
	// StagedUpdateRunConditionInitialized is True once the plan is computed,
	// False (terminal) when it cannot be.
	StagedUpdateRunConditionInitialized StagedUpdateRunConditionType = "Initialized"
	// StagedUpdateRunConditionProgressing is True while the run advances, False
	// while it waits, is stuck, stopped or finished, Unknown while it stops.
	StagedUpdateRunConditionProgressing StagedUpdateRunConditionType = "Progressing"
	// StagedUpdateRunConditionSucceeded is True when every stage completed, False when the run failed.
	StagedUpdateRunConditionSucceeded StagedUpdateRunConditionType = "Succeeded"
)

// Reasons of the run's Initialized condition.
const (
	UpdateRunInitializeSucceededReason = "UpdateRunInitializedSuccessfully"
	UpdateRunInitializeFailedReason    = "UpdateRunInitializedFailed"
	// UpdateRunInitializingReason: Initialized is Unknown while the run waits
	// for the hub to catch up (the scheduler, a snapshot being written); the
	// message says what it waits for. A Flotilla addition.
	UpdateRunInitializingReason = "UpdateRunInitializing"
)

// Reasons of the run's Progressing condition.
const (
	UpdateRunStartedReason   = "UpdateRunStarted"
	UpdateRunWaitingReason   = "UpdateRunWaiting"
	UpdateRunStuckReason     = "UpdateRunStuck"
	UpdateRunStoppingReason  = "UpdateRunStopping"
	UpdateRunStoppedReason   = "UpdateRunStopped"
	UpdateRunSucceededReason = "UpdateRunSucceeded"
	UpdateRunFailedReason    = "UpdateRunFailed"
)

// StageUpdatingStatus is the progress of one stage (or of the deletion stage).
type StageUpdatingStatus struct {
	// stageName is the stage's name from the strategy, or kubernetes-fleet.io/deleteStage.
	// +required
	StageName string `json:"stageName"`

	// clusters of the stage, in the order they are updated.
	// +required
	Clusters []ClusterUpdatingStatus `json:"clusters"`

	// afterStageTaskStatus has one entry per after-stage task.
	// +optional
	// +kubebuilder:validation:MaxItems=2
	AfterStageTaskStatus []StageTaskStatus `json:"afterStageTaskStatus,omitempty"`

	// beforeStageTaskStatus has one entry per before-stage task.
	// +optional
	// +kubebuilder:validation:MaxItems=1
	BeforeStageTaskStatus []StageTaskStatus `json:"beforeStageTaskStatus,omitempty"`

	// startTime is when the first cluster of the stage started updating.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// endTime is when the stage and its after-stage tasks completed.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	EndTime *metav1.Time `json:"endTime,omitempty"`

	// conditions are Progressing and Succeeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// StageUpdatingConditionType is a condition type of a stage.
type StageUpdatingConditionType string

const (
	// StageUpdatingConditionProgressing is True while clusters of the stage
	// update, False while the stage waits or after it finished.
	StageUpdatingConditionProgressing StageUpdatingConditionType = "Progressing"
	// StageUpdatingConditionSucceeded is True when the stage completed, False when it failed.
	StageUpdatingConditionSucceeded StageUpdatingConditionType = "Succeeded"
)

// Reasons of the stage conditions.
const (
	StageUpdatingStartedReason           = "StageUpdatingStarted"
	StageUpdatingWaitingReason           = "StageUpdatingWaiting"
	StageUpdatingStoppingReason          = "StageUpdatingStopping"
	StageUpdatingStoppedReason           = "StageUpdatingStopped"
	StageUpdatingSucceededReason         = "StageUpdatingSucceeded"
	StageUpdatingFailedReason            = "StageUpdatingFailed"
	StageUpdatingSkippedNoClustersReason = "StageUpdatingSkippedNoClusters"
)

// ClusterUpdatingStatus is the progress of one cluster within a stage.
type ClusterUpdatingStatus struct {
	// clusterName is the member cluster's name.
	// +required
	ClusterName string `json:"clusterName"`

	// resourceOverrideSnapshots are the ResourceOverride snapshots that apply to
	// this cluster, fixed at initialization.
	// +optional
	ResourceOverrideSnapshots []NamespacedName `json:"resourceOverrideSnapshots,omitempty"`

	// clusterResourceOverrideSnapshots are the names of the ClusterResourceOverride
	// snapshots that apply to this cluster, fixed at initialization.
	// +optional
	ClusterResourceOverrideSnapshots []string `json:"clusterResourceOverrideSnapshots,omitempty"`

	// conditions are Started and Succeeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterUpdatingStatusConditionType is a condition type of a cluster in a stage.
type ClusterUpdatingStatusConditionType string

const (
	// ClusterUpdatingConditionStarted is True once the cluster's binding was moved to the run's snapshot.
	ClusterUpdatingConditionStarted ClusterUpdatingStatusConditionType = "Started"
	// ClusterUpdatingConditionSucceeded is True once the cluster runs the snapshot and is available.
	ClusterUpdatingConditionSucceeded ClusterUpdatingStatusConditionType = "Succeeded"
)

// Reasons of the cluster conditions.
const (
	ClusterUpdatingStartedReason   = "ClusterUpdatingStarted"
	ClusterUpdatingSucceededReason = "ClusterUpdatingSucceeded"
	ClusterUpdatingFailedReason    = "ClusterUpdatingFailed"
	// ClusterUpdatingSkippedReason: Succeeded is True because the cluster left
	// the fleet (or its placement let it go) during the run; there was nothing
	// left to update. The message says why. A Flotilla addition.
	ClusterUpdatingSkippedReason = "ClusterUpdatingSkipped"
)

// StageTaskStatus is the progress of one stage task.
type StageTaskStatus struct {
	// type is TimedWait or Approval.
	// +required
	Type StageTaskType `json:"type"`

	// approvalRequestName is the ClusterApprovalRequest an Approval task waits on.
	// +optional
	ApprovalRequestName string `json:"approvalRequestName,omitempty"`

	// conditions are ApprovalRequestCreated and ApprovalRequestApproved for an
	// Approval task, WaitTimeElapsed for a TimedWait task.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// StageTaskConditionType is a condition type of a stage task.
type StageTaskConditionType string

const (
	// StageTaskConditionApprovalRequestCreated is True once the approval request exists.
	StageTaskConditionApprovalRequestCreated StageTaskConditionType = "ApprovalRequestCreated"
	// StageTaskConditionApprovalRequestApproved is True once the approval was accepted.
	StageTaskConditionApprovalRequestApproved StageTaskConditionType = "ApprovalRequestApproved"
	// StageTaskConditionWaitTimeElapsed is True once a TimedWait has waited long enough.
	StageTaskConditionWaitTimeElapsed StageTaskConditionType = "WaitTimeElapsed"
)

// Reasons of the stage task conditions.
const (
	AfterStageTaskApprovalRequestCreatedReason  = "AfterStageTaskApprovalRequestCreated"
	AfterStageTaskApprovalRequestApprovedReason = "AfterStageTaskApprovalRequestApproved"
	AfterStageTaskWaitTimeElapsedReason         = "AfterStageTaskWaitTimeElapsed"
	// AfterStageTaskWaitingReason: WaitTimeElapsed is False while the wait
	// runs; its lastTransitionTime marks the start of the wait, so a stop and
	// resume (or a restart of the hub agent) never restarts it. A Flotilla addition.
	AfterStageTaskWaitingReason                  = "AfterStageTaskWaiting"
	BeforeStageTaskApprovalRequestCreatedReason  = "BeforeStageTaskApprovalRequestCreated"
	BeforeStageTaskApprovalRequestApprovedReason = "BeforeStageTaskApprovalRequestApproved"
)

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Cluster,categories={fleet,fleet-placement},shortName=careq
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:JSONPath=`.spec.parentStageRollout`,name="Update-Run",type=string
// +kubebuilder:printcolumn:JSONPath=`.spec.targetStage`,name="Stage",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="Approved")].status`,name="Approved",type=string
// +kubebuilder:printcolumn:JSONPath=`.status.conditions[?(@.type=="ApprovalAccepted")].status`,name="ApprovalAccepted",type=string
// +kubebuilder:printcolumn:JSONPath=`.metadata.creationTimestamp`,name="Age",type=date

// ClusterApprovalRequest asks a person to approve a stage of a
// ClusterStagedUpdateRun. An update run creates it; a person approves it by
// setting the Approved condition to True in its status at the request's own
// generation; the run then records ApprovalAccepted and moves on.
type ClusterApprovalRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the run and stage being gated; it cannot change.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="The spec field is immutable"
	Spec ApprovalRequestSpec `json:"spec"`

	// status holds the Approved condition (written by the approver) and the
	// ApprovalAccepted condition (written by the update run).
	// +optional
	Status ApprovalRequestStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterApprovalRequestList is a list of ClusterApprovalRequest.
type ClusterApprovalRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterApprovalRequest `json:"items"`
}

// ApprovalRequestSpec names what an approval request gates.
type ApprovalRequestSpec struct {
	// parentStageRollout is the name of the update run waiting for this approval.
	// +required
	// +kubebuilder:validation:MaxLength=253
	TargetUpdateRun string `json:"parentStageRollout"`

	// targetStage is the name of the stage waiting for this approval.
	// +required
	// +kubebuilder:validation:MaxLength=63
	TargetStage string `json:"targetStage"`
}

// ApprovalRequestStatus holds the approval conditions.
type ApprovalRequestStatus struct {
	// conditions are Approved and ApprovalAccepted.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ApprovalRequestConditionType is a condition type of an approval request.
type ApprovalRequestConditionType string

const (
	// ApprovalRequestConditionApproved is set to True by the approver, with
	// observedGeneration equal to the request's metadata.generation.
	ApprovalRequestConditionApproved ApprovalRequestConditionType = "Approved"
	// ApprovalRequestConditionApprovalAccepted is set to True by the update run
	// once it has consumed the approval; an accepted approval cannot be revoked.
	ApprovalRequestConditionApprovalAccepted ApprovalRequestConditionType = "ApprovalAccepted"
)

// ApprovalRequestApprovedReason is the reason kubectl fleet approve gives a
// True Approved condition (KubeFleet's kubectl-fleet gives the same). Any
// reason is accepted from other approvers.
const ApprovalRequestApprovedReason = "ClusterApprovalRequestApproved"

// ApprovalRequestApprovalAcceptedReason is the reason of a True ApprovalAccepted condition.
const ApprovalRequestApprovalAcceptedReason = "ApprovalRequestApprovalAccepted"

func init() {
	SchemeBuilder.Register(
		&ClusterStagedUpdateRun{}, &ClusterStagedUpdateRunList{},
		&ClusterStagedUpdateStrategy{}, &ClusterStagedUpdateStrategyList{},
		&ClusterApprovalRequest{}, &ClusterApprovalRequestList{},
	)
}
