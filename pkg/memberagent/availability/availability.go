// Package availability decides whether an object the member agent applied is
// available on its member cluster, by the rules of its kind. The rules are
// pure functions of the object as read back from the member cluster.
//
//   - Kinds that do nothing by themselves once stored (Namespace, ConfigMap,
//     Secret, ServiceAccount, RBAC, NetworkPolicy, LimitRange, ResourceQuota,
//     StorageClass and CSI objects, IngressClass, ControllerRevision) are
//     available as soon as they are applied.
//   - Workloads and a few other kinds are available by their status: see
//     the check of each kind below.
//   - Everything else cannot be tracked; the agent counts it as available and
//     says so in the reason.
package availability

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Result is the outcome of an availability check.
type Result int

const (
	// NotYetAvailable: the object is trackable and not available yet.
	NotYetAvailable Result = iota
	// Available: the object is trackable and available.
	Available
	// NotTrackable: the agent has no rule for the object; it counts as available.
	NotTrackable
)

// String returns the result for logs and test output.
func (r Result) String() string {
	switch r {
	case Available:
		return "Available"
	case NotTrackable:
		return "NotTrackable"
	default:
		return "NotYetAvailable"
	}
}

// availableOnceApplied are the kinds that are available as soon as they are stored.
var availableOnceApplied = map[schema.GroupKind]bool{
	{Kind: "Namespace"}:      true,
	{Kind: "ConfigMap"}:      true,
	{Kind: "Secret"}:         true,
	{Kind: "ServiceAccount"}: true,
	{Kind: "LimitRange"}:     true,
	{Kind: "ResourceQuota"}:  true,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        true,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: true,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:              true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:               true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                  true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                     true,
	{Group: "storage.k8s.io", Kind: "CSIStorageCapacity"}:            true,
	{Group: "apps", Kind: "ControllerRevision"}:                      true,
}

// checks are the kinds judged by their status.
var checks = map[schema.GroupKind]func(*unstructured.Unstructured) (Result, error){
	{Group: "apps", Kind: "Deployment"}:                               check(deployment),
	{Group: "apps", Kind: "StatefulSet"}:                              check(statefulSet),
	{Group: "apps", Kind: "DaemonSet"}:                                check(daemonSet),
	{Group: "batch", Kind: "Job"}:                                     check(job),
	{Kind: "Service"}:                                                 check(service),
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: check(crd),
	{Group: "policy", Kind: "PodDisruptionBudget"}:                    check(pdb),
}

// Check returns whether obj, as read from the member cluster, is available.
// An error means obj could not be read as its kind.
func Check(obj *unstructured.Unstructured) (Result, error) {
	gk := obj.GroupVersionKind().GroupKind()
	if availableOnceApplied[gk] {
		return Available, nil
	}
	if c, ok := checks[gk]; ok {
		return c(obj)
	}
	return NotTrackable, nil
}

// check adapts a rule on a typed object to unstructured input.
func check[T any](rule func(*T) Result) func(*unstructured.Unstructured) (Result, error) {
	return func(obj *unstructured.Unstructured) (Result, error) {
		typed := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
			return NotYetAvailable, fmt.Errorf("reading %s %q: %w", obj.GetKind(), obj.GetName(), err)
		}
		return rule(typed), nil
	}
}

func of(ok bool) Result {
	if ok {
		return Available
	}
	return NotYetAvailable
}

// replicas returns the desired replica count, defaulting to one.
func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// deployment: the controller saw the current spec, and every desired replica
// runs the current template and is available.
func deployment(d *appsv1.Deployment) Result {
	want := replicas(d.Spec.Replicas)
	s := d.Status
	return of(s.ObservedGeneration == d.Generation &&
		s.UpdatedReplicas == want && s.AvailableReplicas == want && s.UnavailableReplicas == 0)
}

// statefulSet: the controller saw the current spec, every desired replica is
// available and runs the current revision.
func statefulSet(ss *appsv1.StatefulSet) Result {
	want := replicas(ss.Spec.Replicas)
	s := ss.Status
	return of(s.ObservedGeneration == ss.Generation &&
		s.AvailableReplicas == want && s.UpdatedReplicas == want && s.CurrentRevision == s.UpdateRevision)
}

// daemonSet: the controller saw the current spec, and every node that should
// run a pod runs an updated, available one.
func daemonSet(ds *appsv1.DaemonSet) Result {
	s := ds.Status
	return of(s.ObservedGeneration == ds.Generation &&
		s.UpdatedNumberScheduled == s.DesiredNumberScheduled &&
		s.NumberAvailable == s.DesiredNumberScheduled && s.NumberUnavailable == 0)
}

// job: a job is available when it completed, or while it runs pods that are
// ready or has succeeded pods; a failed job is not.
func job(j *batchv1.Job) Result {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return Available
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			return NotYetAvailable
		}
	}
	ready := j.Status.Ready != nil && *j.Status.Ready > 0
	return of(ready || j.Status.Succeeded > 0)
}

// service: a ClusterIP or NodePort service once it has a cluster IP (headless
// services have "None"); a LoadBalancer once the load balancer has an IP or
// a host name. ExternalName services point outside the cluster and cannot
// be tracked.
func service(svc *corev1.Service) Result {
	switch svc.Spec.Type {
	case corev1.ServiceTypeExternalName:
		return NotTrackable
	case corev1.ServiceTypeLoadBalancer:
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" || in.Hostname != "" {
				return Available
			}
		}
		return NotYetAvailable
	default:
		return of(svc.Spec.ClusterIP != "" || len(svc.Spec.ClusterIPs) > 0)
	}
}

// crd: the API server accepted the names and serves the new kind.
func crd(c *apiextensionsv1.CustomResourceDefinition) Result {
	var established, named bool
	for _, cond := range c.Status.Conditions {
		switch cond.Type {
		case apiextensionsv1.Established:
			established = cond.Status == apiextensionsv1.ConditionTrue
		case apiextensionsv1.NamesAccepted:
			named = cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return of(established && named)
}

// pdb: the disruption controller has computed the budget for the current
// spec (its status and DisruptionAllowed condition are up to date).
func pdb(p *policyv1.PodDisruptionBudget) Result {
	if p.Status.ObservedGeneration != p.Generation {
		return NotYetAvailable
	}
	for _, c := range p.Status.Conditions {
		if c.Type == policyv1.DisruptionAllowedCondition {
			return of(c.ObservedGeneration == 0 || c.ObservedGeneration == p.Generation)
		}
	}
	return NotYetAvailable
}
