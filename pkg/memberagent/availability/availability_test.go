package availability

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// toUnstructured converts a typed object, stamped with gvk, as the agent reads it back.
func toUnstructured(t *testing.T, obj runtime.Object, gvk schema.GroupVersionKind) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatalf("converting %T: %v", obj, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return u
}

var (
	deploymentGVK  = appsv1.SchemeGroupVersion.WithKind("Deployment")
	statefulSetGVK = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	daemonSetGVK   = appsv1.SchemeGroupVersion.WithKind("DaemonSet")
	jobGVK         = batchv1.SchemeGroupVersion.WithKind("Job")
	serviceGVK     = corev1.SchemeGroupVersion.WithKind("Service")
	crdGVK         = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")
	pdbGVK         = policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget")
)

func meta(gen int64) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: "x", Namespace: "ns", Generation: gen}
}

func TestCheck(t *testing.T) {
	tests := map[string]struct {
		obj  runtime.Object
		gvk  schema.GroupVersionKind
		want Result
	}{
		"a ConfigMap is available once applied": {
			obj: &corev1.ConfigMap{ObjectMeta: meta(0)}, gvk: corev1.SchemeGroupVersion.WithKind("ConfigMap"), want: Available,
		},
		"a Namespace is available once applied": {
			obj: &corev1.Namespace{ObjectMeta: meta(0)}, gvk: corev1.SchemeGroupVersion.WithKind("Namespace"), want: Available,
		},
		"a ClusterRoleBinding is available once applied": {
			obj: &rbacv1.ClusterRoleBinding{ObjectMeta: meta(0)}, gvk: rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"), want: Available,
		},
		"a ControllerRevision is available once applied": {
			obj: &appsv1.ControllerRevision{ObjectMeta: meta(1)}, gvk: appsv1.SchemeGroupVersion.WithKind("ControllerRevision"), want: Available,
		},
		"a Pod cannot be tracked": {
			obj: &corev1.Pod{ObjectMeta: meta(1)}, gvk: corev1.SchemeGroupVersion.WithKind("Pod"), want: NotTrackable,
		},
		"a custom resource cannot be tracked": {
			obj: &corev1.ConfigMap{ObjectMeta: meta(1)}, gvk: schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, want: NotTrackable,
		},
		"a Deployment with all desired replicas updated and available": {
			obj: &appsv1.Deployment{ObjectMeta: meta(2), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}},
			gvk: deploymentGVK, want: Available,
		},
		"a Deployment without replicas set wants one": {
			obj: &appsv1.Deployment{ObjectMeta: meta(1),
				Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}},
			gvk: deploymentGVK, want: Available,
		},
		"a Deployment whose controller has not seen the new spec": {
			obj: &appsv1.Deployment{ObjectMeta: meta(3), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 3, AvailableReplicas: 3}},
			gvk: deploymentGVK, want: NotYetAvailable,
		},
		"a Deployment in the middle of a rollout": {
			obj: &appsv1.Deployment{ObjectMeta: meta(2), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 1, AvailableReplicas: 3}},
			gvk: deploymentGVK, want: NotYetAvailable,
		},
		"a Deployment with an unavailable replica": {
			obj: &appsv1.Deployment{ObjectMeta: meta(2), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 3, AvailableReplicas: 3, UnavailableReplicas: 1}},
			gvk: deploymentGVK, want: NotYetAvailable,
		},
		"a Deployment scaled to zero": {
			obj: &appsv1.Deployment{ObjectMeta: meta(2), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 2}},
			gvk: deploymentGVK, want: Available,
		},
		"a StatefulSet fully rolled out": {
			obj: &appsv1.StatefulSet{ObjectMeta: meta(1), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2)},
				Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, AvailableReplicas: 2, UpdatedReplicas: 2, CurrentRevision: "r1", UpdateRevision: "r1"}},
			gvk: statefulSetGVK, want: Available,
		},
		"a StatefulSet still moving to a new revision": {
			obj: &appsv1.StatefulSet{ObjectMeta: meta(2), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2)},
				Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, AvailableReplicas: 2, UpdatedReplicas: 2, CurrentRevision: "r1", UpdateRevision: "r2"}},
			gvk: statefulSetGVK, want: NotYetAvailable,
		},
		"a DaemonSet on every node": {
			obj: &appsv1.DaemonSet{ObjectMeta: meta(1),
				Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 3}},
			gvk: daemonSetGVK, want: Available,
		},
		"a DaemonSet with a pod not available yet": {
			obj: &appsv1.DaemonSet{ObjectMeta: meta(1),
				Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 2, NumberUnavailable: 1}},
			gvk: daemonSetGVK, want: NotYetAvailable,
		},
		"a completed Job": {
			obj: &batchv1.Job{ObjectMeta: meta(1), Status: batchv1.JobStatus{Succeeded: 1,
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
			gvk: jobGVK, want: Available,
		},
		"a Job running a ready pod": {
			obj: &batchv1.Job{ObjectMeta: meta(1), Status: batchv1.JobStatus{Active: 1, Ready: ptr.To[int32](1)}},
			gvk: jobGVK, want: Available,
		},
		"a Job whose pods are not ready": {
			obj: &batchv1.Job{ObjectMeta: meta(1), Status: batchv1.JobStatus{Active: 1, Ready: ptr.To[int32](0)}},
			gvk: jobGVK, want: NotYetAvailable,
		},
		"a failed Job": {
			obj: &batchv1.Job{ObjectMeta: meta(1), Status: batchv1.JobStatus{Succeeded: 1,
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}}}},
			gvk: jobGVK, want: NotYetAvailable,
		},
		"a ClusterIP Service with an IP": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.1"}},
			gvk: serviceGVK, want: Available,
		},
		"a headless Service": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}},
			gvk: serviceGVK, want: Available,
		},
		"a NodePort Service without an IP yet": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}},
			gvk: serviceGVK, want: NotYetAvailable,
		},
		"a LoadBalancer Service waiting for its load balancer": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"}},
			gvk: serviceGVK, want: NotYetAvailable,
		},
		"a LoadBalancer Service with a host name": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{Hostname: "lb.example.com"}}}}},
			gvk: serviceGVK, want: Available,
		},
		"an ExternalName Service cannot be tracked": {
			obj: &corev1.Service{ObjectMeta: meta(1), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
			gvk: serviceGVK, want: NotTrackable,
		},
		"an established CRD with accepted names": {
			obj: &apiextensionsv1.CustomResourceDefinition{ObjectMeta: meta(1), Status: apiextensionsv1.CustomResourceDefinitionStatus{
				Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
					{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue},
					{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue},
				}}},
			gvk: crdGVK, want: Available,
		},
		"a CRD whose names conflict": {
			obj: &apiextensionsv1.CustomResourceDefinition{ObjectMeta: meta(1), Status: apiextensionsv1.CustomResourceDefinitionStatus{
				Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
					{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionFalse},
					{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue},
				}}},
			gvk: crdGVK, want: NotYetAvailable,
		},
		"a PDB computed for its current spec": {
			obj: &policyv1.PodDisruptionBudget{ObjectMeta: meta(2), Status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 2,
				Conditions: []metav1.Condition{{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse, ObservedGeneration: 2}}}},
			gvk: pdbGVK, want: Available,
		},
		"a PDB the disruption controller has not seen yet": {
			obj:  &policyv1.PodDisruptionBudget{ObjectMeta: meta(2), Status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1}},
			gvk:  pdbGVK,
			want: NotYetAvailable,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Check(toUnstructured(t, tc.obj, tc.gvk))
			if err != nil {
				t.Fatalf("Check() error = %v", err)
			}
			if diff := cmp.Diff(tc.want.String(), got.String()); diff != "" {
				t.Errorf("Check() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestCheckMalformedStatus(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "x"},
		"status":   map[string]any{"availableReplicas": "three"},
	}}
	if _, err := Check(u); err == nil {
		t.Errorf("Check() of a Deployment with a string replica count: want an error, got none")
	}
}
