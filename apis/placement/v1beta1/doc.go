// Package v1beta1 holds the placement.kubernetes-fleet.io/v1beta1 API served by
// Flotilla: placements, their scheduling-policy and resource snapshots, the
// per-cluster bindings, staged update strategies and runs, approval requests
// and the Work objects handed to member agents.
//
// The wire format (kinds, JSON names, labels, condition types and reasons)
// matches KubeFleet's API so KubeFleet manifests and tooling work unchanged.
//
// The same schema is also served as placement.kubernetes-fleet.io/v1 for the
// kinds KubeFleet serves at v1; the v1 entries are derived from these types
// when the CRDs are generated (see hack/crdgen), so there is one Go type per kind.
//
// +kubebuilder:object:generate=true
// +groupName=placement.kubernetes-fleet.io
package v1beta1
