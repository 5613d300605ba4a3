package v1beta1

// Kinds and resources served by this group, for owner references, events and messages.
const (
	MemberClusterKind         = "MemberCluster"
	MemberClusterResource     = "memberclusters"
	InternalMemberClusterKind = "InternalMemberCluster"
)

// fleetPrefix prefixes every label, annotation and finalizer Flotilla owns.
// Unprefixed keys are left to users.
const fleetPrefix = "kubernetes-fleet.io/"

// kubeFleetPrefix prefixes the labels of the newer kubefleet.dev family.
const kubeFleetPrefix = "kubefleet.dev/"

// Labels on MemberCluster objects.
const (
	// MemberNameLabel carries the MemberCluster's own name. The hub keeps it
	// equal to metadata.name (re-adding it if removed), so label selectors,
	// e.g. in overrides, can pick a cluster by name.
	MemberNameLabel = fleetPrefix + "member-cluster-name"

	// ClusterAliasLabel names a cluster by role rather than by name. The hub
	// sets it to the cluster's name only when it is absent, so an admin can
	// move an alias to another cluster and selectors on it follow the role.
	ClusterAliasLabel = kubeFleetPrefix + "cluster-alias"
)

// Finalizers.
const (
	// MemberClusterFinalizer keeps a MemberCluster until the hub has cleaned up
	// its fleet-member-<cluster> namespace (and everything in it).
	MemberClusterFinalizer = fleetPrefix + "membercluster-finalizer"
)

// Names.
const (
	// NamespaceNameFormat formats the hub namespace reserved for a member
	// cluster: fleet-member-<cluster>. It holds the cluster's
	// InternalMemberCluster and its Work objects.
	NamespaceNameFormat = "fleet-member-%s"

	// RoleNameFormat formats the name of the Role that grants a member
	// cluster's identity access to its own namespace: fleet-role-<cluster>.
	RoleNameFormat = "fleet-role-%s"

	// RoleBindingNameFormat names the RoleBinding that grants a member's
	// identity its Role: fleet-rolebinding-<cluster>.
	RoleBindingNameFormat = "fleet-rolebinding-%s"
)
