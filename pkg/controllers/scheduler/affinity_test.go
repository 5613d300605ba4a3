package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestMatchPropertySelector(t *testing.T) {
	term := func(name string, op placementv1beta1.PropertySelectorOperator, values ...string) *placementv1beta1.ClusterSelectorTerm {
		return &placementv1beta1.ClusterSelectorTerm{PropertySelector: &placementv1beta1.PropertySelector{
			MatchExpressions: []placementv1beta1.PropertySelectorRequirement{{Name: name, Operator: op, Values: values}},
		}}
	}
	withUsage := func(mc *clusterv1beta1.MemberCluster) {
		mc.Status.ResourceUsage.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3500m")}
		mc.Status.ResourceUsage.Available = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")}
	}
	nodes := memberCluster("m", withProperty(clusterv1beta1.NodeCountProperty, "3"), withUsage)
	tests := map[string]struct {
		term    *placementv1beta1.ClusterSelectorTerm
		wantOK  bool
		wantWhy string
	}{
		"Gt holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorGreaterThan, "2"), wantOK: true},
		"Ge holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorGreaterThanOrEqualTo, "3"), wantOK: true},
		"Eq holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorEqualTo, "3"), wantOK: true},
		"Ne holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorNotEqualTo, "4"), wantOK: true},
		"Lt holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorLessThan, "4"), wantOK: true},
		"Le holds": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorLessThanOrEqualTo, "3"), wantOK: true},
		"Gt fails": {term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorGreaterThan, "3"), wantWhy: `property "kubernetes-fleet.io/node-count" is 3, not Gt 3`},
		"allocatable CPU from resource usage": {
			term: term(clusterv1beta1.AllocatableCPUCapacityProperty, placementv1beta1.PropertySelectorGreaterThanOrEqualTo, "3"), wantOK: true,
		},
		"available memory from resource usage": {
			term: term(availableMemoryProperty, placementv1beta1.PropertySelectorLessThan, "1Gi"), wantWhy: `property "resources.kubernetes-fleet.io/available-memory" is 2Gi, not Lt 1Gi`,
		},
		"a property the cluster does not report never matches": {
			term: term("example.com/zone-count", placementv1beta1.PropertySelectorGreaterThan, "0"), wantWhy: `property "example.com/zone-count" is not reported by the cluster`,
		},
		"total CPU not reported": {
			term: term(clusterv1beta1.TotalCPUCapacityProperty, placementv1beta1.PropertySelectorGreaterThan, "0"), wantWhy: `property "resources.kubernetes-fleet.io/total-cpu" is not reported by the cluster`,
		},
		"a value that is not a quantity": {
			term: term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorGreaterThan, "many"), wantWhy: `property "kubernetes-fleet.io/node-count": value "many" is not a quantity`,
		},
		"labels and properties are ANDed": {
			term: func() *placementv1beta1.ClusterSelectorTerm {
				t := term(clusterv1beta1.NodeCountProperty, placementv1beta1.PropertySelectorGreaterThan, "2")
				t.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "canary"}}
				return t
			}(),
			wantWhy: `labels do not match "environment=canary"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, why := matchTerm(tc.term, &nodes)
			if ok != tc.wantOK {
				t.Errorf("matchTerm ok = %v, want %v", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.wantWhy, why); diff != "" {
				t.Errorf("matchTerm reason (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestAffinityScore(t *testing.T) {
	sorter := func(weight int32, order placementv1beta1.PropertySortOrder) placementv1beta1.PreferredClusterSelector {
		return placementv1beta1.PreferredClusterSelector{Weight: weight, Preference: placementv1beta1.ClusterSelectorTerm{
			PropertySorter: &placementv1beta1.PropertySorter{Name: clusterv1beta1.NodeCountProperty, SortOrder: order},
		}}
	}
	small := memberCluster("small", withLabels("environment", "canary"), withProperty(clusterv1beta1.NodeCountProperty, "1"))
	medium := memberCluster("medium", withLabels("environment", "staging"), withProperty(clusterv1beta1.NodeCountProperty, "2"))
	large := memberCluster("large", withLabels("environment", "canary", "order", "1"), withProperty(clusterv1beta1.NodeCountProperty, "5"))
	silent := memberCluster("silent", withLabels("environment", "canary"))
	all := []*clusterv1beta1.MemberCluster{&small, &medium, &large, &silent}
	tests := map[string]struct {
		preferred []placementv1beta1.PreferredClusterSelector
		clusters  []*clusterv1beta1.MemberCluster
		want      map[string]int32
	}{
		"no preferences: all zero": {
			clusters: all, want: map[string]int32{"small": 0, "medium": 0, "large": 0, "silent": 0},
		},
		"weights of matching terms add up, negative ones subtract": {
			preferred: []placementv1beta1.PreferredClusterSelector{
				preferred(20, labelTerm("environment", "canary")),
				preferred(30, labelTerm("order", "1")),
				preferred(-10, labelTerm("environment", "staging")),
			},
			clusters: all, want: map[string]int32{"small": 20, "medium": -10, "large": 50, "silent": 20},
		},
		"descending sorter: the largest value gets the full weight": {
			preferred: []placementv1beta1.PreferredClusterSelector{sorter(100, placementv1beta1.Descending)},
			clusters:  all, want: map[string]int32{"small": 0, "medium": 25, "large": 100, "silent": 0},
		},
		"ascending sorter: the smallest value gets the full weight": {
			preferred: []placementv1beta1.PreferredClusterSelector{sorter(100, placementv1beta1.Ascending)},
			clusters:  all, want: map[string]int32{"small": 100, "medium": 75, "large": 0, "silent": 0},
		},
		"sorter with one reporting cluster: full weight": {
			preferred: []placementv1beta1.PreferredClusterSelector{sorter(40, placementv1beta1.Descending)},
			clusters:  []*clusterv1beta1.MemberCluster{&medium, &silent}, want: map[string]int32{"medium": 40, "silent": 0},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ranges := propertyRanges(tc.preferred, tc.clusters)
			got := map[string]int32{}
			for _, mc := range tc.clusters {
				got[mc.Name] = affinityScore(tc.preferred, mc, ranges)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("affinityScore (-want,+got):\n%s", diff)
			}
		})
	}
}
