package placement

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// statusInputs is what a placement's status is computed from.
type statusInputs struct {
	// policySnapshot is the latest scheduling policy snapshot; nil before it exists.
	policySnapshot *placementv1beta1.ClusterSchedulingPolicySnapshot
	// latestIndex is the index of the latest resource snapshot group, -1 without one.
	latestIndex int
	// indexOf maps master resource snapshot names to their index.
	indexOf map[string]string
	// resourcesOf maps a resource index to the resources its group holds.
	resourcesOf map[string][]placementv1beta1.ResourceIdentifier
	// bindings are the placement's bindings.
	bindings []*placementv1beta1.ClusterResourceBinding
}

// perClusterConditionOrder is the order in which a cluster's placement
// progresses; a cluster's status stops at the first condition that is not True.
var perClusterConditionOrder = []placementv1beta1.ResourceBindingConditionType{
	placementv1beta1.ResourceBindingRolloutStarted,
	placementv1beta1.ResourceBindingOverridden,
	placementv1beta1.ResourceBindingWorkSynchronized,
	placementv1beta1.ResourceBindingApplied,
	placementv1beta1.ResourceBindingAvailable,
}

// reportDiffConditionOrder replaces Applied and Available when the apply
// strategy only reports differences.
var reportDiffConditionOrder = []placementv1beta1.ResourceBindingConditionType{
	placementv1beta1.ResourceBindingRolloutStarted,
	placementv1beta1.ResourceBindingOverridden,
	placementv1beta1.ResourceBindingWorkSynchronized,
	placementv1beta1.ResourceBindingDiffReported,
}

// placementCondition describes how one per-cluster condition rolls up into a
// placement condition: its type and the reason and message for each outcome.
type placementCondition struct {
	conditionType                     placementv1beta1.ClusterResourcePlacementConditionType
	trueReason, falseReason           string
	unknownReason                     string
	trueMessage, falseMessage         string
	unknownMessage, perClusterPending string
}

var placementConditions = map[placementv1beta1.ResourceBindingConditionType]placementCondition{
	placementv1beta1.ResourceBindingRolloutStarted: {
		conditionType: placementv1beta1.ClusterResourcePlacementRolloutStarted,
		trueReason:    placementv1beta1.PlacementRolloutStartedReason, trueMessage: "All %d cluster(s) start rolling out the latest resource",
		falseReason: placementv1beta1.PlacementRolloutNotStartedYetReason, falseMessage: "The rollout is being blocked by the rollout strategy in %d cluster(s)",
		unknownReason: placementv1beta1.PlacementRolloutStartedUnknownReason, unknownMessage: "There are still %d cluster(s) in the process of deciding whether to roll out the latest resources or not",
		perClusterPending: "In the process of deciding whether to roll out the latest resources or not",
	},
	placementv1beta1.ResourceBindingOverridden: {
		conditionType: placementv1beta1.ClusterResourcePlacementOverridden,
		trueReason:    placementv1beta1.PlacementOverrideNotSpecifiedReason, trueMessage: "No override rules are configured for the selected resources in %d cluster(s)",
		falseReason: placementv1beta1.PlacementOverriddenFailedReason, falseMessage: "Failed to override resources in %d cluster(s)",
		unknownReason: placementv1beta1.PlacementOverriddenPendingReason, unknownMessage: "There are still %d cluster(s) in the process of overriding the selected resources",
		perClusterPending: "In the process of overriding the selected resources",
	},
	placementv1beta1.ResourceBindingWorkSynchronized: {
		conditionType: placementv1beta1.ClusterResourcePlacementWorkSynchronized,
		trueReason:    placementv1beta1.PlacementWorkSynchronizedReason, trueMessage: "Works are successfully created or updated in the namespaces of %d target cluster(s)",
		falseReason: placementv1beta1.PlacementWorkNotSynchronizedYetReason, falseMessage: "Works are not yet synchronized in the namespaces of %d target cluster(s)",
		unknownReason: placementv1beta1.PlacementWorkSynchronizedUnknownReason, unknownMessage: "There are still %d cluster(s) in the process of creating or updating their Works",
		perClusterPending: "In the process of creating or updating the Works",
	},
	placementv1beta1.ResourceBindingApplied: {
		conditionType: placementv1beta1.ClusterResourcePlacementApplied,
		trueReason:    placementv1beta1.PlacementApplySucceededReason, trueMessage: "The selected resources are successfully applied to %d cluster(s)",
		falseReason: placementv1beta1.PlacementApplyFailedReason, falseMessage: "Failed to apply the selected resources to %d cluster(s)",
		unknownReason: placementv1beta1.PlacementApplyPendingReason, unknownMessage: "There are still %d cluster(s) in the process of applying the selected resources",
		perClusterPending: "In the process of applying the selected resources",
	},
	placementv1beta1.ResourceBindingAvailable: {
		conditionType: placementv1beta1.ClusterResourcePlacementAvailable,
		trueReason:    placementv1beta1.PlacementAvailableReason, trueMessage: "The selected resources in %d cluster(s) are available now",
		falseReason: placementv1beta1.PlacementNotAvailableYetReason, falseMessage: "The selected resources in %d cluster(s) are not available yet",
		unknownReason: placementv1beta1.PlacementAvailableUnknownReason, unknownMessage: "There are still %d cluster(s) in the process of checking the availability of the selected resources",
		perClusterPending: "In the process of checking the availability of the selected resources",
	},
	placementv1beta1.ResourceBindingDiffReported: {
		conditionType: placementv1beta1.ClusterResourcePlacementDiffReported,
		trueReason:    placementv1beta1.PlacementDiffReportingCompletedReason, trueMessage: "Diff reporting in %d cluster(s) has been completed",
		falseReason: placementv1beta1.PlacementDiffReportingIncompleteOrFailedReason, falseMessage: "Diff reporting in %d cluster(s) is incomplete or has failed",
		unknownReason: placementv1beta1.PlacementDiffReportingPendingReason, unknownMessage: "There are still %d cluster(s) in the process of reporting diffs",
		perClusterPending: "In the process of reporting diffs",
	},
}

// computeStatus returns the placement's new status. Conditions keep their
// last transition times when their status does not change.
func computeStatus(crp *placementv1beta1.ClusterResourcePlacement, in statusInputs) placementv1beta1.PlacementStatus {
	gen := crp.Generation
	old := crp.Status
	out := placementv1beta1.PlacementStatus{Conditions: slices.Clone(old.Conditions)}
	set := func(c metav1.Condition) {
		c.ObservedGeneration = gen
		meta.SetStatusCondition(&out.Conditions, c)
	}
	set(scheduledCondition(in.policySnapshot))

	order := perClusterConditionOrder
	if s := crp.Spec.Strategy.ApplyStrategy; s != nil && s.Type == placementv1beta1.ApplyStrategyTypeReportDiff {
		order = reportDiffConditionOrder
	}
	oldPerCluster := map[string]placementv1beta1.PerClusterPlacementStatus{}
	for _, s := range old.PerClusterPlacementStatuses {
		oldPerCluster[s.ClusterName] = s
	}
	bindings := slices.Clone(in.bindings)
	slices.SortFunc(bindings, func(a, b *placementv1beta1.ClusterResourceBinding) int {
		return cmp.Compare(a.Spec.TargetCluster, b.Spec.TargetCluster)
	})
	indices := map[string]bool{}
	for _, b := range bindings {
		if b.Spec.State == placementv1beta1.BindingStateUnscheduled || !b.DeletionTimestamp.IsZero() {
			continue
		}
		pc := perClusterStatus(b, in.indexOf[b.Spec.ResourceSnapshotName], order, gen, oldPerCluster[b.Spec.TargetCluster].Conditions)
		out.PerClusterPlacementStatuses = append(out.PerClusterPlacementStatuses, pc)
		indices[pc.ObservedResourceIndex] = true
	}

	// A placement-wide version exists when every cluster runs the same one;
	// RollingUpdate placements always aim at the latest.
	index := ""
	external := crp.Spec.Strategy.Type == placementv1beta1.ExternalRolloutStrategyType
	switch {
	case !external && in.latestIndex >= 0:
		index = fmt.Sprint(in.latestIndex)
	case external && len(indices) == 1 && !indices[""]:
		for i := range indices {
			index = i
		}
	}
	if external && index == "" {
		msg := placementv1beta1.PlacementExternalRolloutMixedSnapshotsMessage
		if len(indices) <= 1 {
			msg = placementv1beta1.PlacementExternalRolloutNotStartedMessage
		}
		set(metav1.Condition{
			Type:    string(placementv1beta1.ClusterResourcePlacementRolloutStarted),
			Status:  metav1.ConditionUnknown,
			Reason:  placementv1beta1.PlacementRolloutControlledByExternalControllerReason,
			Message: msg,
		})
		removeConditions(&out.Conditions, order[1:])
		return out
	}
	out.ObservedResourceIndex = index
	out.SelectedResources = in.resourcesOf[index]
	aggregate(&out, order, set)
	return out
}

// scheduledCondition mirrors the latest policy snapshot's Scheduled condition.
func scheduledCondition(s *placementv1beta1.ClusterSchedulingPolicySnapshot) metav1.Condition {
	c := metav1.Condition{
		Type:    string(placementv1beta1.ClusterResourcePlacementScheduled),
		Status:  metav1.ConditionUnknown,
		Reason:  placementv1beta1.PlacementSchedulePendingReason,
		Message: "Scheduling has not completed",
	}
	if s == nil {
		return c
	}
	sc := meta.FindStatusCondition(s.Status.Conditions, string(placementv1beta1.PolicySnapshotScheduled))
	if sc == nil || sc.ObservedGeneration != s.Generation {
		c.Message = fmt.Sprintf("Scheduling policy snapshot %q has not been scheduled yet", s.Name)
		return c
	}
	c.Status, c.Reason, c.Message = sc.Status, sc.Reason, sc.Message
	return c
}

// perClusterStatus reports one cluster's progress from its binding.
func perClusterStatus(b *placementv1beta1.ClusterResourceBinding, index string, order []placementv1beta1.ResourceBindingConditionType, gen int64, old []metav1.Condition) placementv1beta1.PerClusterPlacementStatus {
	pc := placementv1beta1.PerClusterPlacementStatus{
		ClusterName:           b.Spec.TargetCluster,
		ObservedResourceIndex: index,
		Conditions:            slices.Clone(old),
	}
	set := func(c metav1.Condition) {
		c.ObservedGeneration = gen
		meta.SetStatusCondition(&pc.Conditions, c)
	}
	var score placementv1beta1.ClusterScore
	if d := b.Spec.ClusterDecision; d.ClusterScore != nil {
		score = *d.ClusterScore
	}
	set(metav1.Condition{
		Type:   string(placementv1beta1.PerClusterScheduled),
		Status: metav1.ConditionTrue,
		Reason: placementv1beta1.PerClusterScheduledReason,
		Message: fmt.Sprintf("Successfully scheduled resources for placement in %q (affinity score: %d, topology spread score: %d): %s",
			b.Spec.TargetCluster, ptrValue(score.AffinityScore), ptrValue(score.TopologySpreadScore), b.Spec.ClusterDecision.Reason),
	})
	for i, t := range order {
		bc := meta.FindStatusCondition(b.Status.Conditions, string(t))
		if bc == nil || bc.ObservedGeneration != b.Generation {
			set(metav1.Condition{
				Type:    string(t),
				Status:  metav1.ConditionUnknown,
				Reason:  placementConditions[t].unknownReason,
				Message: placementConditions[t].perClusterPending,
			})
			removeConditions(&pc.Conditions, order[i+1:])
			break
		}
		set(metav1.Condition{Type: string(t), Status: bc.Status, Reason: bc.Reason, Message: bc.Message})
		if bc.Status != metav1.ConditionTrue {
			removeConditions(&pc.Conditions, order[i+1:])
			break
		}
	}
	// The binding may be the cache's own object: the status keeps copies.
	if len(b.Status.FailedPlacements)+len(b.Status.DriftedPlacements)+len(b.Status.DiffedPlacements) > 0 {
		reports := b.Status.DeepCopy()
		pc.FailedPlacements, pc.DriftedPlacements, pc.DiffedPlacements = reports.FailedPlacements, reports.DriftedPlacements, reports.DiffedPlacements
	}
	return pc
}

// aggregate rolls the clusters' conditions up into placement conditions, in
// order, stopping at the first that is not True everywhere.
func aggregate(out *placementv1beta1.PlacementStatus, order []placementv1beta1.ResourceBindingConditionType, set func(metav1.Condition)) {
	n := len(out.PerClusterPlacementStatuses)
	for i, t := range order {
		pcond := placementConditions[t]
		var trueCount, falseCount, unknownCount int
		overridden := false
		for _, pc := range out.PerClusterPlacementStatuses {
			c := meta.FindStatusCondition(pc.Conditions, string(t))
			switch {
			case c == nil || c.Status == metav1.ConditionUnknown:
				unknownCount++
			case c.Status == metav1.ConditionFalse:
				falseCount++
			default:
				trueCount++
				overridden = overridden || c.Reason == placementv1beta1.BindingOverriddenSucceededReason
			}
		}
		c := metav1.Condition{Type: string(pcond.conditionType)}
		switch {
		case falseCount > 0:
			c.Status, c.Reason, c.Message = metav1.ConditionFalse, pcond.falseReason, fmt.Sprintf(pcond.falseMessage, falseCount)
		case unknownCount > 0:
			c.Status, c.Reason, c.Message = metav1.ConditionUnknown, pcond.unknownReason, fmt.Sprintf(pcond.unknownMessage, unknownCount)
		default:
			c.Status, c.Reason, c.Message = metav1.ConditionTrue, pcond.trueReason, fmt.Sprintf(pcond.trueMessage, n)
			if overridden {
				c.Reason, c.Message = placementv1beta1.PlacementOverriddenSucceededReason, fmt.Sprintf("The selected resources are successfully overridden in %d cluster(s)", n)
			}
		}
		set(c)
		if c.Status != metav1.ConditionTrue {
			removeConditions(&out.Conditions, order[i+1:])
			return
		}
	}
}

// removeConditions removes the placement-level (or per-cluster) conditions
// that correspond to the given binding condition types. The list is
// computeStatus's own, so it is edited in place: meta.RemoveStatusCondition
// allocates a new list for every type, present or not, and that was most of
// what a status computation allocated.
func removeConditions(conds *[]metav1.Condition, types []placementv1beta1.ResourceBindingConditionType) {
	*conds = slices.DeleteFunc(*conds, func(c metav1.Condition) bool {
		for _, t := range types {
			if c.Type == string(t) || c.Type == string(placementConditions[t].conditionType) {
				return true
			}
		}
		return false
	})
}

// resourceIdentifiers lists the objects a resource snapshot group holds.
func resourceIdentifiers(group *resource.SnapshotGroup) ([]placementv1beta1.ResourceIdentifier, error) {
	var out []placementv1beta1.ResourceIdentifier
	for _, s := range group.Snapshots() {
		for _, c := range s.Spec.SelectedResources {
			var obj struct {
				metav1.TypeMeta   `json:",inline"`
				metav1.ObjectMeta `json:"metadata"`
			}
			if err := json.Unmarshal(c.Raw, &obj); err != nil {
				return nil, fmt.Errorf("reading resource snapshot %q: %w", s.Name, err)
			}
			gv, err := schema.ParseGroupVersion(obj.APIVersion)
			if err != nil {
				return nil, fmt.Errorf("reading resource snapshot %q: %w", s.Name, err)
			}
			out = append(out, placementv1beta1.ResourceIdentifier{
				Group: gv.Group, Version: gv.Version, Kind: obj.Kind, Name: obj.Name, Namespace: obj.Namespace,
			})
		}
	}
	return out, nil
}

func ptrValue(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
