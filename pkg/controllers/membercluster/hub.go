package membercluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// NamespaceName is the hub namespace of a member cluster: fleet-member-<cluster>.
func NamespaceName(cluster string) string {
	return fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, cluster)
}

// memberRules is everything a member agent may do on the hub, all of it in
// its own namespace: read its Works, record their status and its finalizer on
// them, and heartbeat through its InternalMemberCluster.
var memberRules = []rbacv1.PolicyRule{
	{
		APIGroups: []string{placementv1beta1.GroupName},
		Resources: []string{"works"},
		Verbs:     []string{"get", "list", "watch", "update", "patch"},
	},
	{
		APIGroups: []string{placementv1beta1.GroupName},
		Resources: []string{"works/status"},
		Verbs:     []string{"get", "update", "patch"},
	},
	{
		APIGroups: []string{clusterv1beta1.GroupVersion.Group},
		Resources: []string{"internalmemberclusters"},
		Verbs:     []string{"get", "list", "watch"},
	},
	{
		APIGroups: []string{clusterv1beta1.GroupVersion.Group},
		Resources: []string{"internalmemberclusters/status"},
		Verbs:     []string{"get", "update", "patch"},
	},
	{
		APIGroups: []string{""},
		Resources: []string{"events"},
		Verbs:     []string{"create", "patch"},
	},
}

// ensureHubObjects creates or updates the member's namespace, its Role and
// RoleBinding, and its InternalMemberCluster, each owned by the MemberCluster.
// It returns the InternalMemberCluster as stored.
func (r *Reconciler) ensureHubObjects(ctx context.Context, mc *clusterv1beta1.MemberCluster) (*clusterv1beta1.InternalMemberCluster, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: NamespaceName(mc.Name)}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, ns, func() error {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[placementv1beta1.FleetResourceLabelKey] = "true"
		return controllerutil.SetControllerReference(mc, ns, r.client.Scheme())
	}); err != nil {
		return nil, fmt.Errorf("ensuring namespace %q: %w", ns.Name, err)
	}

	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf(clusterv1beta1.RoleNameFormat, mc.Name), Namespace: ns.Name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, role, func() error {
		role.Rules = memberRules
		return controllerutil.SetControllerReference(mc, role, r.client.Scheme())
	}); err != nil {
		return nil, fmt.Errorf("ensuring role %s/%s: %w", role.Namespace, role.Name, err)
	}

	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf(clusterv1beta1.RoleBindingNameFormat, mc.Name), Namespace: ns.Name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, binding, func() error {
		// roleRef is immutable; it never changes for a given name.
		binding.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}
		binding.Subjects = []rbacv1.Subject{mc.Spec.Identity}
		return controllerutil.SetControllerReference(mc, binding, r.client.Scheme())
	}); err != nil {
		return nil, fmt.Errorf("ensuring role binding %s/%s: %w", binding.Namespace, binding.Name, err)
	}

	imc := &clusterv1beta1.InternalMemberCluster{ObjectMeta: metav1.ObjectMeta{Name: mc.Name, Namespace: ns.Name}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, imc, func() error {
		imc.Spec.State = clusterv1beta1.ClusterStateJoin
		if !mc.DeletionTimestamp.IsZero() {
			imc.Spec.State = clusterv1beta1.ClusterStateLeave
		}
		imc.Spec.HeartbeatPeriodSeconds = mc.Spec.HeartbeatPeriodSeconds
		return controllerutil.SetControllerReference(mc, imc, r.client.Scheme())
	}); err != nil {
		return nil, fmt.Errorf("ensuring InternalMemberCluster %s/%s: %w", imc.Namespace, imc.Name, err)
	}
	return imc, nil
}
