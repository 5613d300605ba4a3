package resource

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestSkipResource(t *testing.T) {
	cases := map[string]struct {
		gr   schema.GroupResource
		skip bool
	}{
		"config maps are placed":                       {gr: schema.GroupResource{Resource: "configmaps"}},
		"deployments are placed":                       {gr: schema.GroupResource{Group: "apps", Resource: "deployments"}},
		"a user's CRD kind is placed":                  {gr: schema.GroupResource{Group: "example.com", Resource: "widgets"}},
		"core events stay":                             {gr: schema.GroupResource{Resource: "events"}, skip: true},
		"events.k8s.io events stay":                    {gr: schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, skip: true},
		"pods stay":                                    {gr: schema.GroupResource{Resource: "pods"}, skip: true},
		"leases stay":                                  {gr: schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, skip: true},
		"endpoints stay":                               {gr: schema.GroupResource{Resource: "endpoints"}, skip: true},
		"endpoint slices stay":                         {gr: schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, skip: true},
		"placements stay":                              {gr: schema.GroupResource{Group: "placement.kubernetes-fleet.io", Resource: "clusterresourceplacements"}, skip: true},
		"member clusters stay":                         {gr: schema.GroupResource{Group: "cluster.kubernetes-fleet.io", Resource: "memberclusters"}, skip: true},
		"a group merely ending like fleet's is placed": {gr: schema.GroupResource{Group: "notkubernetes-fleet.io", Resource: "things"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := SkipResource(tc.gr) != ""; got != tc.skip {
				t.Errorf("SkipResource(%v) skips = %v, want %v", tc.gr, got, tc.skip)
			}
		})
	}
}

func object(apiVersion, kind, namespace, name string, mutate ...func(*unstructured.Unstructured)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	for _, m := range mutate {
		m(u)
	}
	return u
}

func TestSkipObject(t *testing.T) {
	configMaps := schema.GroupResource{Resource: "configmaps"}
	clusterRoleBindings := schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}
	cases := map[string]struct {
		gr   schema.GroupResource
		obj  *unstructured.Unstructured
		skip bool
	}{
		"a user's config map is placed": {gr: configMaps, obj: object("v1", "ConfigMap", "app", "settings")},
		"the root CA config map stays":  {gr: configMaps, obj: object("v1", "ConfigMap", "app", "kube-root-ca.crt"), skip: true},
		"an object being deleted stays": {gr: configMaps, obj: object("v1", "ConfigMap", "app", "old", func(u *unstructured.Unstructured) {
			now := metav1.Now()
			u.SetDeletionTimestamp(&now)
		}), skip: true},
		"an object a controller owns stays": {gr: configMaps, obj: object("v1", "ConfigMap", "app", "generated", func(u *unstructured.Unstructured) {
			u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "o", UID: "1", Controller: ptr.To(true)}})
		}), skip: true},
		"an object with a non-controller owner is placed": {gr: configMaps, obj: object("v1", "ConfigMap", "app", "owned", func(u *unstructured.Unstructured) {
			u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "o", UID: "1"}})
		})},
		"the default service account stays": {gr: schema.GroupResource{Resource: "serviceaccounts"}, obj: object("v1", "ServiceAccount", "app", "default"), skip: true},
		"another service account is placed": {gr: schema.GroupResource{Resource: "serviceaccounts"}, obj: object("v1", "ServiceAccount", "app", "builder")},
		"a service account token stays": {gr: schema.GroupResource{Resource: "secrets"}, obj: object("v1", "Secret", "app", "tok", func(u *unstructured.Unstructured) {
			u.Object["type"] = "kubernetes.io/service-account-token"
		}), skip: true},
		"an opaque secret is placed": {gr: schema.GroupResource{Resource: "secrets"}, obj: object("v1", "Secret", "app", "creds", func(u *unstructured.Unstructured) {
			u.Object["type"] = "Opaque"
		})},
		"kube-system stays":                  {gr: schema.GroupResource{Resource: "namespaces"}, obj: object("v1", "Namespace", "", "kube-system"), skip: true},
		"a member namespace stays":           {gr: schema.GroupResource{Resource: "namespaces"}, obj: object("v1", "Namespace", "", "fleet-member-member1"), skip: true},
		"objects in fleet-system stay":       {gr: configMaps, obj: object("v1", "ConfigMap", "fleet-system", "x"), skip: true},
		"an application namespace is placed": {gr: schema.GroupResource{Resource: "namespaces"}, obj: object("v1", "Namespace", "", "test-namespace")},
		"the cluster-admin binding stays": {gr: clusterRoleBindings, obj: object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "cluster-admin", func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"})
		}), skip: true},
		"a system: cluster role stays":                    {gr: schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, obj: object("rbac.authorization.k8s.io/v1", "ClusterRole", "", "system:aggregate-to-edit"), skip: true},
		"an application's cluster role binding is placed": {gr: clusterRoleBindings, obj: object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "app-reader")},
		"a config map named like a system role is placed": {gr: configMaps, obj: object("v1", "ConfigMap", "app", "system:thing")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			why := SkipObject(tc.gr, tc.obj)
			if got := why != ""; got != tc.skip {
				t.Errorf("SkipObject(%s) = %q, want skipped = %v", tc.obj.GetName(), why, tc.skip)
			}
		})
	}
}
