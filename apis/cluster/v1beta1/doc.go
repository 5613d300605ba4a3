// Package v1beta1 holds the cluster.kubernetes-fleet.io/v1beta1 API served by
// Flotilla: MemberCluster, the hub-side record of a member cluster, and
// InternalMemberCluster, the object a member agent heartbeats through.
//
// The wire format matches KubeFleet's API. The same schema is also served as
// cluster.kubernetes-fleet.io/v1; the v1 entries are derived from these types
// when the CRDs are generated (see hack/crdgen).
//
// +kubebuilder:object:generate=true
// +groupName=cluster.kubernetes-fleet.io
package v1beta1
