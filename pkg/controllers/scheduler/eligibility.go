package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// conditionStatus returns the status of a MemberCluster condition, Unknown
// when the condition is absent.
func conditionStatus(mc *clusterv1beta1.MemberCluster, t clusterv1beta1.MemberClusterConditionType) metav1.ConditionStatus {
	if c := meta.FindStatusCondition(mc.Status.Conditions, string(t)); c != nil {
		return c.Status
	}
	return metav1.ConditionUnknown
}

// keepProblem says why a cluster may not keep a pick it already has: it is
// being deleted or has not joined. It returns "" when the cluster may keep it.
func keepProblem(mc *clusterv1beta1.MemberCluster) string {
	if !mc.DeletionTimestamp.IsZero() {
		return "cluster is being deleted"
	}
	if s := conditionStatus(mc, clusterv1beta1.ConditionTypeMemberClusterJoined); s != metav1.ConditionTrue {
		return fmt.Sprintf("cluster has not joined the fleet (Joined is %s)", s)
	}
	return ""
}

// readinessProblem says why a cluster may not be picked anew whatever the
// policy: it may not keep a pick, or it is not healthy. "" when it is ready.
func readinessProblem(mc *clusterv1beta1.MemberCluster) string {
	if p := keepProblem(mc); p != "" {
		return p
	}
	if s := conditionStatus(mc, clusterv1beta1.ConditionTypeMemberClusterHealthy); s != metav1.ConditionTrue {
		return fmt.Sprintf("cluster is not healthy (Healthy is %s)", s)
	}
	return ""
}

// tolerates reports whether a toleration tolerates a taint, as in core
// Kubernetes: an empty effect matches every effect, Exists with an empty key
// matches every taint, Equal (the default) needs key and value to match.
func tolerates(t placementv1beta1.Toleration, taint clusterv1beta1.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	switch t.Operator {
	case corev1.TolerationOpExists:
		return t.Key == "" || t.Key == taint.Key
	case corev1.TolerationOpEqual, "":
		return t.Key == taint.Key && t.Value == taint.Value
	default:
		return false
	}
}

// untoleratedTaint returns the first NoSchedule taint that none of the
// tolerations tolerates.
func untoleratedTaint(taints []clusterv1beta1.Taint, tolerations []placementv1beta1.Toleration) (clusterv1beta1.Taint, bool) {
	for _, taint := range taints {
		if taint.Effect != corev1.TaintEffectNoSchedule {
			continue
		}
		tolerated := false
		for _, t := range tolerations {
			if tolerates(t, taint) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			return taint, true
		}
	}
	return clusterv1beta1.Taint{}, false
}

// formatTaint writes a taint as kubectl does: key=value:Effect.
func formatTaint(t clusterv1beta1.Taint) string {
	if t.Value == "" {
		return fmt.Sprintf("%s:%s", t.Key, t.Effect)
	}
	return fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect)
}

// candidate is one member cluster as the scheduler sees it under one policy.
type candidate struct {
	name    string
	cluster *clusterv1beta1.MemberCluster // nil when no such MemberCluster exists
	// keepProblem says why the cluster cannot keep a pick it has; "" when it can.
	keepProblem string
	// policyProblem says why the cluster fails the policy's own filters
	// (affinity, taints, or not being named); "" when it passes.
	policyProblem string
	// pickProblem says why the cluster cannot be picked anew; "" when it can.
	pickProblem string
	score       int32
	// held is the cluster's binding, nil when it has none.
	held *placementv1beta1.ClusterResourceBinding
}

// holds reports whether the cluster's binding is Scheduled or Bound.
func (c *candidate) holds() bool {
	return c.held != nil && (c.held.Spec.State == placementv1beta1.BindingStateScheduled || c.held.Spec.State == placementv1beta1.BindingStateBound)
}

// keeps reports whether the cluster keeps the pick its binding holds. Under
// the snapshot that made the pick, only leaving the fleet loses it
// (IgnoredDuringExecution); under a newer snapshot the cluster must also pass
// the new policy's filters.
func (c *candidate) keeps(snapshotName string) bool {
	if !c.holds() || c.cluster == nil || c.keepProblem != "" {
		return false
	}
	return c.held.Spec.SchedulingPolicySnapshotName == snapshotName || c.policyProblem == ""
}

// evaluate looks at every member cluster, and at every cluster a binding or
// a PickFixed policy names, under the policy.
func evaluate(in scheduleInput, held map[string]*placementv1beta1.ClusterResourceBinding) map[string]*candidate {
	cands := map[string]*candidate{}
	for i := range in.clusters {
		mc := &in.clusters[i]
		cands[mc.Name] = &candidate{name: mc.Name, cluster: mc}
	}
	for name := range held {
		if cands[name] == nil {
			cands[name] = &candidate{name: name}
		}
	}
	fixed := map[string]bool{}
	if placementType(in.policy) == placementv1beta1.PickFixedPlacementType {
		for _, name := range in.policy.ClusterNames {
			fixed[name] = true
			if cands[name] == nil {
				cands[name] = &candidate{name: name}
			}
		}
	}

	for name, c := range cands {
		c.held = held[name]
		if c.cluster == nil {
			c.keepProblem = "cluster not found"
			c.pickProblem = c.keepProblem
			continue
		}
		c.keepProblem = keepProblem(c.cluster)
		if placementType(in.policy) == placementv1beta1.PickFixedPlacementType {
			if !fixed[name] {
				c.policyProblem = "cluster is not named in the policy's clusterNames"
			}
		} else {
			c.policyProblem = filterProblem(in.policy, c.cluster)
		}
		c.pickProblem = readinessProblem(c.cluster)
		if c.pickProblem == "" {
			c.pickProblem = c.policyProblem
		}
	}
	return cands
}

// filterProblem says why a cluster fails a PickAll or PickN policy's filters:
// an untolerated taint or the required affinity. "" when it passes.
func filterProblem(policy *placementv1beta1.PlacementPolicy, mc *clusterv1beta1.MemberCluster) string {
	var tolerations []placementv1beta1.Toleration
	if policy != nil {
		tolerations = policy.Tolerations
	}
	if taint, found := untoleratedTaint(mc.Spec.Taints, tolerations); found {
		return fmt.Sprintf("cluster has the taint %s, which the policy does not tolerate", formatTaint(taint))
	}
	return requiredAffinityProblem(policy, mc)
}
