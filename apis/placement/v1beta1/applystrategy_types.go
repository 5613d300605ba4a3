package v1beta1

// ApplyStrategy says how the member agent puts the selected resources on a
// member cluster: how it writes them, how it compares them with what is
// already there, and what it does with objects it did not create.
//
// A placement carries it in spec.strategy.applyStrategy; bindings, Works and
// update runs (status.appliedStrategy) carry a copy of it. Two placements that
// put the same object on the same cluster with different apply strategies
// conflict: the later one fails to apply that object.
type ApplyStrategy struct {
	// comparisonOption decides which fields count when the agent compares the
	// hub manifest with the live object (for drift detection, takeover and
	// ReportDiff). PartialComparison (default) looks only at fields the hub
	// manifest sets, so defaults and fields owned by other controllers (HPA,
	// VPA, ...) are left alone. FullComparison looks at every field, so any
	// field the manifest does not set but the live object has counts as a
	// difference.
	// +optional
	// +kubebuilder:default=PartialComparison
	// +kubebuilder:validation:Enum=PartialComparison;FullComparison
	ComparisonOption ComparisonOptionType `json:"comparisonOption,omitempty"`

	// whenToApply decides when the agent re-applies the hub manifest. Always
	// (default) applies it again and again, undoing edits made on the member
	// cluster to the fields the hub manifest sets. IfNotDrifted stops applying
	// to an object once it has drifted from the hub manifest (as judged by
	// comparisonOption) and reports the drift in the placement status, so the
	// drift can be inspected before it is overwritten.
	// +optional
	// +kubebuilder:default=Always
	// +kubebuilder:validation:Enum=Always;IfNotDrifted
	WhenToApply WhenToApplyType `json:"whenToApply,omitempty"`

	// type is how manifests reach the member cluster. ClientSideApply
	// (default) does a three-way merge like `kubectl apply`, keeping the last
	// applied configuration in an annotation (and switching to server-side
	// apply when that annotation would be too large). ServerSideApply makes
	// the agent a field manager; see serverSideApplyConfig for conflicts.
	// ReportDiff applies nothing: it compares the hub manifests with the live
	// objects and reports the differences, whoever owns the objects.
	// +optional
	// +kubebuilder:default=ClientSideApply
	// +kubebuilder:validation:Enum=ClientSideApply;ServerSideApply;ReportDiff
	Type ApplyStrategyType `json:"type,omitempty"`

	// allowCoOwnership lets the agent apply to an object that other
	// (non-fleet) owners also own. When false the agent refuses such objects.
	// An object placed by another placement is refused either way.
	// +optional
	AllowCoOwnership bool `json:"allowCoOwnership,omitempty"`

	// serverSideApplyConfig tunes server-side apply; it is only read when
	// type is ServerSideApply.
	// +optional
	ServerSideApplyConfig *ServerSideApplyConfig `json:"serverSideApplyConfig,omitempty"`

	// whenToTakeOver decides what happens the first time the agent meets an
	// object that already exists on the member cluster. Always (default)
	// applies the hub manifest over it and takes it over. IfNoDiff takes it
	// over only when it already matches the hub manifest (as judged by
	// comparisonOption) and otherwise reports the differences and leaves it
	// alone. Never leaves every pre-existing object alone; combined with
	// ReportDiff this turns the fleet into a read-only diff reporter.
	// +optional
	// +kubebuilder:default=Always
	// +kubebuilder:validation:Enum=Always;IfNoDiff;Never
	WhenToTakeOver WhenToTakeOverType `json:"whenToTakeOver,omitempty"`
}

// ComparisonOptionType is how hub manifests and live objects are compared.
// +enum
type ComparisonOptionType string

const (
	// ComparisonOptionTypePartialComparison compares only the fields the hub manifest sets.
	ComparisonOptionTypePartialComparison ComparisonOptionType = "PartialComparison"
	// ComparisonOptionTypeFullComparison compares every field of the object.
	ComparisonOptionTypeFullComparison ComparisonOptionType = "FullComparison"
)

// WhenToApplyType is when the agent re-applies hub manifests.
// +enum
type WhenToApplyType string

const (
	// WhenToApplyTypeAlways re-applies hub manifests all the time.
	WhenToApplyTypeAlways WhenToApplyType = "Always"
	// WhenToApplyTypeIfNotDrifted stops applying to objects that drifted.
	WhenToApplyTypeIfNotDrifted WhenToApplyType = "IfNotDrifted"
)

// ApplyStrategyType is how hub manifests reach a member cluster.
// +enum
type ApplyStrategyType string

const (
	// ApplyStrategyTypeClientSideApply does a three-way merge like `kubectl apply`.
	ApplyStrategyTypeClientSideApply ApplyStrategyType = "ClientSideApply"
	// ApplyStrategyTypeServerSideApply uses Kubernetes server-side apply.
	ApplyStrategyTypeServerSideApply ApplyStrategyType = "ServerSideApply"
	// ApplyStrategyTypeReportDiff applies nothing and reports differences.
	ApplyStrategyTypeReportDiff ApplyStrategyType = "ReportDiff"
)

// WhenToTakeOverType is what the agent does with objects it finds already existing.
// +enum
type WhenToTakeOverType string

const (
	// WhenToTakeOverTypeAlways takes pre-existing objects over, overwriting the fields the manifest sets.
	WhenToTakeOverTypeAlways WhenToTakeOverType = "Always"
	// WhenToTakeOverTypeIfNoDiff takes a pre-existing object over only if it matches the manifest.
	WhenToTakeOverTypeIfNoDiff WhenToTakeOverType = "IfNoDiff"
	// WhenToTakeOverTypeNever never takes a pre-existing object over.
	WhenToTakeOverTypeNever WhenToTakeOverType = "Never"
)

// ServerSideApplyConfig tunes server-side apply.
type ServerSideApplyConfig struct {
	// force makes the apply win field conflicts with other field managers,
	// taking those fields over. When false a conflict fails the apply of that
	// object. Fields without conflict are shared either way.
	// +optional
	ForceConflicts bool `json:"force"`
}
