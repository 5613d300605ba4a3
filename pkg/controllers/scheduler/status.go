package scheduler

import (
	"context"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// numberOfClusters reads how many clusters a PickN snapshot asks for: the
// number-of-clusters annotation the placement controller keeps current,
// else the policy's numberOfClusters, else 0.
func numberOfClusters(s *placementv1beta1.ClusterSchedulingPolicySnapshot) int {
	if v, ok := s.Annotations[placementv1beta1.NumberOfClustersAnnotation]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	if s.Spec.Policy != nil && s.Spec.Policy.NumberOfClusters != nil {
		return int(*s.Spec.Policy.NumberOfClusters)
	}
	return 0
}

// observedCRPGeneration reads the placement generation a snapshot was
// written for from its CRP-generation annotation, else returns fallback.
func observedCRPGeneration(s *placementv1beta1.ClusterSchedulingPolicySnapshot, fallback int64) int64 {
	if n, err := strconv.ParseInt(s.Annotations[placementv1beta1.CRPGenerationAnnotation], 10, 64); err == nil {
		return n
	}
	return fallback
}

// snapshotStatus returns the snapshot's status after a scheduling pass: the
// placement generation it answers, the Scheduled condition and the decisions.
func snapshotStatus(s *placementv1beta1.ClusterSchedulingPolicySnapshot, p *schedulePlan, crpGeneration int64) placementv1beta1.SchedulingPolicySnapshotStatus {
	status := s.Status.DeepCopy()
	status.ObservedCRPGeneration = observedCRPGeneration(s, crpGeneration)
	cond := metav1.Condition{
		Type:               string(placementv1beta1.PolicySnapshotScheduled),
		Status:             metav1.ConditionTrue,
		Reason:             placementv1beta1.PolicySnapshotFulfilledReason,
		Message:            p.message,
		ObservedGeneration: s.Generation,
	}
	if !p.fulfilled {
		cond.Status, cond.Reason = metav1.ConditionFalse, placementv1beta1.PolicySnapshotUnfulfilledReason
	}
	meta.SetStatusCondition(&status.Conditions, cond)
	status.ClusterDecisions = p.decisions
	return *status
}

// writeSnapshotStatus patches the snapshot's status when it changed; a stale
// snapshot fails with a conflict.
func (r *Reconciler) writeSnapshotStatus(ctx context.Context, s *placementv1beta1.ClusterSchedulingPolicySnapshot, status placementv1beta1.SchedulingPolicySnapshotStatus) error {
	if equality.Semantic.DeepEqual(s.Status, status) {
		return nil
	}
	updated := s.DeepCopy()
	updated.Status = status
	if err := r.client.Status().Patch(ctx, updated, client.MergeFromWithOptions(s, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating the status of ClusterSchedulingPolicySnapshot %q: %w", s.Name, err)
	}
	r.snapshotWrites.Wrote(s.Name, s.ResourceVersion)
	return nil
}
