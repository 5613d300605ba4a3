package updaterun

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// approvalAcceptedMessage is the message of ApprovalAccepted.
const approvalAcceptedMessage = "The approval request has been approved and cannot be reverted"

// approve reports whether an Approval task has passed. It creates the task's
// ClusterApprovalRequest when missing (again, if a user deleted it before it
// was approved) and accepts an approval that carries the request's own
// generation. Once accepted, an approval cannot be taken back.
func (p *pass) approve(ctx context.Context, s *placementv1beta1.StageUpdatingStatus, ts *placementv1beta1.StageTaskStatus, before bool) (bool, error) {
	created, approved := placementv1beta1.AfterStageTaskApprovalRequestCreatedReason, placementv1beta1.AfterStageTaskApprovalRequestApprovedReason
	taskType := placementv1beta1.AfterStageTaskLabelValue
	if before {
		created, approved = placementv1beta1.BeforeStageTaskApprovalRequestCreatedReason, placementv1beta1.BeforeStageTaskApprovalRequestApprovedReason
		taskType = placementv1beta1.BeforeStageTaskLabelValue
	}
	approvedType := string(placementv1beta1.StageTaskConditionApprovalRequestApproved)
	if isTrue(ts.Conditions, approvedType) {
		return true, nil
	}

	req := &placementv1beta1.ClusterApprovalRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name: ts.ApprovalRequestName,
			Labels: map[string]string{
				placementv1beta1.TargetUpdateRunLabel:           p.run.Name,
				placementv1beta1.TargetUpdatingStageNameLabel:   s.StageName,
				placementv1beta1.TaskTypeLabel:                  taskType,
				placementv1beta1.IsLatestUpdateRunApprovalLabel: "true",
			},
		},
		Spec: placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: p.run.Name, TargetStage: s.StageName},
	}
	err := p.r.client.Create(ctx, req)
	switch {
	case err == nil:
		set(&ts.Conditions, string(placementv1beta1.StageTaskConditionApprovalRequestCreated), metav1.ConditionTrue, created, "", p.run.Generation)
		p.normal("ApprovalRequested", "Stage %q waits for ClusterApprovalRequest %q to be approved", s.StageName, req.Name)
		return false, nil
	case !apierrors.IsAlreadyExists(err):
		return false, fmt.Errorf("creating ClusterApprovalRequest %q: %w", req.Name, err)
	}

	if err := p.r.client.Get(ctx, client.ObjectKeyFromObject(req), req); err != nil {
		return false, fmt.Errorf("getting ClusterApprovalRequest %q: %w", req.Name, err)
	}
	if req.Spec.TargetUpdateRun != p.run.Name || req.Spec.TargetStage != s.StageName {
		return false, fail("ClusterApprovalRequest %q already exists for run %q stage %q; delete it so that this run can ask for its own approval",
			req.Name, req.Spec.TargetUpdateRun, req.Spec.TargetStage)
	}
	set(&ts.Conditions, string(placementv1beta1.StageTaskConditionApprovalRequestCreated), metav1.ConditionTrue, created, "", p.run.Generation)

	gen := req.Generation
	isApproved := conditionAt(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved), gen)
	isAccepted := conditionAt(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApprovalAccepted), gen)
	if !isApproved && !isAccepted {
		return false, nil
	}
	if !isAccepted {
		meta.SetStatusCondition(&req.Status.Conditions, metav1.Condition{
			Type:               string(placementv1beta1.ApprovalRequestConditionApprovalAccepted),
			Status:             metav1.ConditionTrue,
			Reason:             placementv1beta1.ApprovalRequestApprovalAcceptedReason,
			Message:            approvalAcceptedMessage,
			ObservedGeneration: gen,
		})
		if err := p.r.client.Status().Update(ctx, req); err != nil {
			return false, fmt.Errorf("accepting the approval of ClusterApprovalRequest %q: %w", req.Name, err)
		}
	}
	set(&ts.Conditions, approvedType, metav1.ConditionTrue, approved, "", p.run.Generation)
	if c := meta.FindStatusCondition(ts.Conditions, string(placementv1beta1.StageTaskConditionApprovalRequestCreated)); c != nil {
		approvalLatency.WithLabelValues(p.run.Namespace, p.run.Name, taskType).Observe(p.now.Sub(c.LastTransitionTime.Time).Seconds())
	}
	p.normal("ApprovalAccepted", "ClusterApprovalRequest %q of stage %q was approved", req.Name, s.StageName)
	return true, nil
}

// conditionAt reports whether a condition is True at the given generation.
func conditionAt(conds []metav1.Condition, condType string, gen int64) bool {
	c := meta.FindStatusCondition(conds, condType)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == gen
}
