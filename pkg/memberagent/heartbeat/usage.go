package heartbeat

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// reportedResources are the resources summed into the resource usage.
var reportedResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// usage sums the capacity and allocatable CPU and memory of the nodes, and
// what remains available on them after the requests of the pods scheduled
// there that have not terminated (never below zero on a node). It returns the
// properties every member reports (node count, total and allocatable CPU and
// memory) and the resource usage, observed at now.
func usage(nodes []corev1.Node, pods []corev1.Pod, now metav1.Time) (map[clusterv1beta1.PropertyName]clusterv1beta1.PropertyValue, clusterv1beta1.ResourceUsage) {
	requested := map[string]corev1.ResourceList{}
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if requested[p.Spec.NodeName] == nil {
			requested[p.Spec.NodeName] = corev1.ResourceList{}
		}
		add(requested[p.Spec.NodeName], podRequests(p))
	}

	capacity, allocatable, available := zero(), zero(), zero()
	for i := range nodes {
		n := &nodes[i]
		add(capacity, n.Status.Capacity)
		add(allocatable, n.Status.Allocatable)
		for _, name := range reportedResources {
			left := n.Status.Allocatable[name].DeepCopy()
			left.Sub(requested[n.Name][name])
			if left.Sign() > 0 {
				q := available[name]
				q.Add(left)
				available[name] = q
			}
		}
	}

	value := func(q resource.Quantity) clusterv1beta1.PropertyValue {
		return clusterv1beta1.PropertyValue{Value: q.String(), ObservationTime: now}
	}
	properties := map[clusterv1beta1.PropertyName]clusterv1beta1.PropertyValue{
		clusterv1beta1.NodeCountProperty:                 value(*resource.NewQuantity(int64(len(nodes)), resource.DecimalSI)),
		clusterv1beta1.TotalCPUCapacityProperty:          value(capacity[corev1.ResourceCPU]),
		clusterv1beta1.AllocatableCPUCapacityProperty:    value(allocatable[corev1.ResourceCPU]),
		clusterv1beta1.TotalMemoryCapacityProperty:       value(capacity[corev1.ResourceMemory]),
		clusterv1beta1.AllocatableMemoryCapacityProperty: value(allocatable[corev1.ResourceMemory]),
	}
	return properties, clusterv1beta1.ResourceUsage{
		Capacity:        capacity,
		Allocatable:     allocatable,
		Available:       available,
		ObservationTime: now,
	}
}

// podRequests is what a pod asks of its node: the larger of its containers'
// summed requests and its largest init container's, plus its overhead.
// (Restartable init containers are counted as plain init containers.)
func podRequests(p *corev1.Pod) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range p.Spec.Containers {
		add(sum, c.Resources.Requests)
	}
	for _, c := range p.Spec.InitContainers {
		for _, name := range reportedResources {
			if q, ok := c.Resources.Requests[name]; ok && q.Cmp(sum[name]) > 0 {
				sum[name] = q.DeepCopy()
			}
		}
	}
	add(sum, p.Spec.Overhead)
	return sum
}

// zero returns a list with the reported resources at zero, so that a cluster
// without nodes reports "0" rather than nothing.
func zero() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(0, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(0, resource.BinarySI),
	}
}

// add adds the reported resources of from into to.
func add(to, from corev1.ResourceList) {
	for _, name := range reportedResources {
		q, ok := from[name]
		if !ok {
			continue
		}
		sum := to[name]
		sum.Add(q)
		to[name] = sum
	}
}
