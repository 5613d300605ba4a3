package scheduler

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Resource properties the member agent reports through status.resourceUsage
// rather than status.properties. The API names the capacity and allocatable
// ones; the available ones follow KubeFleet's naming.
const (
	availableCPUProperty    = "resources.kubernetes-fleet.io/available-cpu"
	availableMemoryProperty = "resources.kubernetes-fleet.io/available-memory"
)

// clusterAffinity returns the policy's cluster affinity, or nil.
func clusterAffinity(policy *placementv1beta1.PlacementPolicy) *placementv1beta1.ClusterAffinity {
	if policy == nil || policy.Affinity == nil {
		return nil
	}
	return policy.Affinity.ClusterAffinity
}

// requiredAffinityProblem says why a cluster matches none of the policy's
// required cluster selector terms; "" when it matches one, or there are none.
func requiredAffinityProblem(policy *placementv1beta1.PlacementPolicy, mc *clusterv1beta1.MemberCluster) string {
	ca := clusterAffinity(policy)
	if ca == nil || ca.RequiredDuringSchedulingIgnoredDuringExecution == nil ||
		len(ca.RequiredDuringSchedulingIgnoredDuringExecution.ClusterSelectorTerms) == 0 {
		return ""
	}
	terms := ca.RequiredDuringSchedulingIgnoredDuringExecution.ClusterSelectorTerms
	problems := make([]string, 0, len(terms))
	for i := range terms {
		ok, why := matchTerm(&terms[i], mc)
		if ok {
			return ""
		}
		if len(terms) == 1 {
			problems = append(problems, why)
		} else {
			problems = append(problems, fmt.Sprintf("term %d: %s", i, why))
		}
	}
	return "cluster does not match the required cluster affinity (" + strings.Join(problems, "; ") + ")"
}

// matchTerm reports whether a cluster matches every part of a cluster
// selector term, and if not, why. A term with no parts matches every cluster.
// propertySorter only ranks clusters and never excludes one.
func matchTerm(term *placementv1beta1.ClusterSelectorTerm, mc *clusterv1beta1.MemberCluster) (bool, string) {
	if term.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
		if err != nil {
			return false, fmt.Sprintf("invalid label selector: %v", err)
		}
		if !sel.Matches(labels.Set(mc.Labels)) {
			return false, fmt.Sprintf("labels do not match %q", sel.String())
		}
	}
	if term.PropertySelector != nil {
		for _, req := range term.PropertySelector.MatchExpressions {
			if ok, why := matchProperty(req, mc); !ok {
				return false, why
			}
		}
	}
	return true, ""
}

// matchProperty compares one reported cluster property with a required value.
func matchProperty(req placementv1beta1.PropertySelectorRequirement, mc *clusterv1beta1.MemberCluster) (bool, string) {
	if len(req.Values) != 1 {
		return false, fmt.Sprintf("property %q: the requirement needs exactly one value, has %d", req.Name, len(req.Values))
	}
	want, err := resource.ParseQuantity(req.Values[0])
	if err != nil {
		return false, fmt.Sprintf("property %q: value %q is not a quantity", req.Name, req.Values[0])
	}
	got, found, err := propertyValue(mc, req.Name)
	switch {
	case err != nil:
		return false, fmt.Sprintf("property %q: %v", req.Name, err)
	case !found:
		return false, fmt.Sprintf("property %q is not reported by the cluster", req.Name)
	}
	c := got.Cmp(want)
	var ok bool
	switch req.Operator {
	case placementv1beta1.PropertySelectorGreaterThan:
		ok = c > 0
	case placementv1beta1.PropertySelectorGreaterThanOrEqualTo:
		ok = c >= 0
	case placementv1beta1.PropertySelectorEqualTo:
		ok = c == 0
	case placementv1beta1.PropertySelectorNotEqualTo:
		ok = c != 0
	case placementv1beta1.PropertySelectorLessThan:
		ok = c < 0
	case placementv1beta1.PropertySelectorLessThanOrEqualTo:
		ok = c <= 0
	default:
		return false, fmt.Sprintf("property %q: unknown operator %q", req.Name, req.Operator)
	}
	if !ok {
		return false, fmt.Sprintf("property %q is %s, not %s %s", req.Name, got.String(), req.Operator, req.Values[0])
	}
	return true, ""
}

// propertyValue reads a cluster property: from status.properties, or for the
// well-known resource properties from status.resourceUsage.
func propertyValue(mc *clusterv1beta1.MemberCluster, name string) (resource.Quantity, bool, error) {
	if v, ok := mc.Status.Properties[clusterv1beta1.PropertyName(name)]; ok {
		q, err := resource.ParseQuantity(v.Value)
		if err != nil {
			return resource.Quantity{}, false, fmt.Errorf("reported value %q is not a quantity", v.Value)
		}
		return q, true, nil
	}
	var list corev1.ResourceList
	var res corev1.ResourceName
	usage := mc.Status.ResourceUsage
	switch name {
	case clusterv1beta1.TotalCPUCapacityProperty:
		list, res = usage.Capacity, corev1.ResourceCPU
	case clusterv1beta1.AllocatableCPUCapacityProperty:
		list, res = usage.Allocatable, corev1.ResourceCPU
	case availableCPUProperty:
		list, res = usage.Available, corev1.ResourceCPU
	case clusterv1beta1.TotalMemoryCapacityProperty:
		list, res = usage.Capacity, corev1.ResourceMemory
	case clusterv1beta1.AllocatableMemoryCapacityProperty:
		list, res = usage.Allocatable, corev1.ResourceMemory
	case availableMemoryProperty:
		list, res = usage.Available, corev1.ResourceMemory
	default:
		return resource.Quantity{}, false, nil
	}
	q, ok := list[res]
	return q, ok, nil
}

// propertyRange is the lowest and highest value of a property among the
// clusters being scored.
type propertyRange struct {
	min, max float64
}

// propertyRanges collects, for every property the preferred terms sort by,
// its range over the given clusters (those reporting it).
func propertyRanges(preferred []placementv1beta1.PreferredClusterSelector, clusters []*clusterv1beta1.MemberCluster) map[string]propertyRange {
	ranges := map[string]propertyRange{}
	for _, p := range preferred {
		sorter := p.Preference.PropertySorter
		if sorter == nil {
			continue
		}
		if _, done := ranges[sorter.Name]; done {
			continue
		}
		var r propertyRange
		seen := false
		for _, mc := range clusters {
			q, found, err := propertyValue(mc, sorter.Name)
			if err != nil || !found {
				continue
			}
			v := q.AsApproximateFloat64()
			if !seen {
				r, seen = propertyRange{min: v, max: v}, true
				continue
			}
			r.min, r.max = math.Min(r.min, v), math.Max(r.max, v)
		}
		if seen {
			ranges[sorter.Name] = r
		}
	}
	return ranges
}

// affinityScore sums the weights of the preferred terms a cluster matches.
// A term with a propertySorter gives a share of its weight, growing linearly
// from the worst to the best value in ranges (the full weight when all
// clusters report the same value, nothing when the cluster does not report it).
func affinityScore(preferred []placementv1beta1.PreferredClusterSelector, mc *clusterv1beta1.MemberCluster, ranges map[string]propertyRange) int32 {
	var score int32
	for i := range preferred {
		p := &preferred[i]
		if ok, _ := matchTerm(&p.Preference, mc); !ok {
			continue
		}
		sorter := p.Preference.PropertySorter
		if sorter == nil {
			score += p.Weight
			continue
		}
		q, found, err := propertyValue(mc, sorter.Name)
		r, ranged := ranges[sorter.Name]
		if err != nil || !found || !ranged {
			continue
		}
		share := 1.0
		if r.max > r.min {
			v := q.AsApproximateFloat64()
			if sorter.SortOrder == placementv1beta1.Ascending {
				share = (r.max - v) / (r.max - r.min)
			} else {
				share = (v - r.min) / (r.max - r.min)
			}
		}
		score += int32(math.Round(float64(p.Weight) * share))
	}
	return score
}
