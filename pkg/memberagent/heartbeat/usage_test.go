package heartbeat

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

var testNow = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func node(name, cpuCap, memCap, cpuAlloc, memAlloc string) corev1.Node {
	return corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuCap), corev1.ResourceMemory: resource.MustParse(memCap)},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuAlloc), corev1.ResourceMemory: resource.MustParse(memAlloc)},
		},
	}
}

func pod(nodeName string, phase corev1.PodPhase, cpu, mem string, initCPU ...string) corev1.Pod {
	p := corev1.Pod{
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
		}}}},
		Status: corev1.PodStatus{Phase: phase},
	}
	for _, c := range initCPU {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(c)},
		}})
	}
	return p
}

// summary is what the tests compare: property values and usage quantities as strings.
type summary struct {
	Properties  map[clusterv1beta1.PropertyName]string
	Capacity    map[corev1.ResourceName]string
	Allocatable map[corev1.ResourceName]string
	Available   map[corev1.ResourceName]string
}

func summarize(props map[clusterv1beta1.PropertyName]clusterv1beta1.PropertyValue, u clusterv1beta1.ResourceUsage) summary {
	s := summary{Properties: map[clusterv1beta1.PropertyName]string{}}
	for k, v := range props {
		s.Properties[k] = v.Value
	}
	list := func(l corev1.ResourceList) map[corev1.ResourceName]string {
		out := map[corev1.ResourceName]string{}
		for k, v := range l {
			out[k] = v.String()
		}
		return out
	}
	s.Capacity, s.Allocatable, s.Available = list(u.Capacity), list(u.Allocatable), list(u.Available)
	return s
}

func TestUsage(t *testing.T) {
	tests := map[string]struct {
		nodes []corev1.Node
		pods  []corev1.Pod
		want  summary
	}{
		"a cluster without nodes reports zeros": {
			want: summary{
				Properties: map[clusterv1beta1.PropertyName]string{
					clusterv1beta1.NodeCountProperty: "0", clusterv1beta1.TotalCPUCapacityProperty: "0", clusterv1beta1.AllocatableCPUCapacityProperty: "0",
					clusterv1beta1.TotalMemoryCapacityProperty: "0", clusterv1beta1.AllocatableMemoryCapacityProperty: "0",
				},
				Capacity:    map[corev1.ResourceName]string{corev1.ResourceCPU: "0", corev1.ResourceMemory: "0"},
				Allocatable: map[corev1.ResourceName]string{corev1.ResourceCPU: "0", corev1.ResourceMemory: "0"},
				Available:   map[corev1.ResourceName]string{corev1.ResourceCPU: "0", corev1.ResourceMemory: "0"},
			},
		},
		"two nodes, running pods take their requests, finished and unscheduled pods do not": {
			nodes: []corev1.Node{node("n1", "4", "8Gi", "3800m", "7Gi"), node("n2", "2", "4Gi", "1900m", "3Gi")},
			pods: []corev1.Pod{
				pod("n1", corev1.PodRunning, "500m", "1Gi"),
				pod("n1", corev1.PodPending, "300m", "1Gi", "1"), // the init container asks more than the containers
				pod("n2", corev1.PodSucceeded, "1", "1Gi"),
				pod("", corev1.PodPending, "1", "1Gi"),
				pod("n2", corev1.PodRunning, "3", "1Gi"), // overcommitted: n2 has nothing left, not less than nothing
			},
			want: summary{
				Properties: map[clusterv1beta1.PropertyName]string{
					clusterv1beta1.NodeCountProperty: "2", clusterv1beta1.TotalCPUCapacityProperty: "6", clusterv1beta1.AllocatableCPUCapacityProperty: "5700m",
					clusterv1beta1.TotalMemoryCapacityProperty: "12Gi", clusterv1beta1.AllocatableMemoryCapacityProperty: "10Gi",
				},
				Capacity:    map[corev1.ResourceName]string{corev1.ResourceCPU: "6", corev1.ResourceMemory: "12Gi"},
				Allocatable: map[corev1.ResourceName]string{corev1.ResourceCPU: "5700m", corev1.ResourceMemory: "10Gi"},
				Available:   map[corev1.ResourceName]string{corev1.ResourceCPU: "2300m", corev1.ResourceMemory: "7Gi"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			props, u := usage(tc.nodes, tc.pods, testNow)
			if diff := cmp.Diff(tc.want, summarize(props, u)); diff != "" {
				t.Errorf("usage() (-want,+got):\n%s", diff)
			}
			nodeCount := props[clusterv1beta1.NodeCountProperty]
			if !u.ObservationTime.Equal(&testNow) || !nodeCount.ObservationTime.Equal(&testNow) {
				t.Errorf("usage() observation times = %v / %v, want %v", u.ObservationTime, props[clusterv1beta1.NodeCountProperty].ObservationTime, testNow)
			}
		})
	}
}
