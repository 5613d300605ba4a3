package rollout

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// execute carries out a plan's steps in order. Every write is guarded by the
// binding's resourceVersion as it was planned with, so a binding someone else
// changed in the meantime fails with a conflict; execute stops at the first
// failed write and returns its error, and the retry plans again from what is
// there.
func (r *Reconciler) execute(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, target string, p plan) error {
	for _, s := range p.steps {
		var err error
		switch s.action {
		case actionBind, actionUpdate:
			err = r.rollOut(ctx, crp, s.binding, target)
		case actionDelete:
			err = r.remove(ctx, crp.Name, s.binding)
		case actionMarkStarted:
			err = r.writeRolloutStarted(ctx, crp.Name, s.binding, rolloutStarted(s.binding, target))
		case actionHold:
			err = r.writeRolloutStarted(ctx, crp.Name, s.binding, rolloutNotStarted(s.binding, s.message))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rollOut makes the binding Bound on target with the placement's apply
// strategy, then tells the work generator so through RolloutStarted at the
// binding's new generation.
func (r *Reconciler) rollOut(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, b *placementv1beta1.ClusterResourceBinding, target string) error {
	from, replaced := b.Spec.ResourceSnapshotName, b.ResourceVersion
	b = b.DeepCopy()
	b.Spec.State = placementv1beta1.BindingStateBound
	b.Spec.ResourceSnapshotName = target
	b.Spec.ApplyStrategy = crp.Spec.Strategy.ApplyStrategy.DeepCopy()
	if err := r.client.Update(ctx, b); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("binding ClusterResourceBinding %q to resource snapshot %q: %w", b.Name, target, err)
	}
	r.expectations.wrote(crp.Name, b.UID, replaced)
	ctrl.LoggerFrom(ctx).Info("Rolled out resource snapshot to cluster", "binding", klog.KObj(b),
		"cluster", b.Spec.TargetCluster, "from", from, "to", target, "generation", b.Generation)
	return r.writeRolloutStarted(ctx, crp.Name, b, rolloutStarted(b, target))
}

// remove deletes an Unscheduled binding, unless it changed since it was planned.
func (r *Reconciler) remove(ctx context.Context, crp string, b *placementv1beta1.ClusterResourceBinding) error {
	err := r.client.Delete(ctx, b, client.Preconditions{UID: &b.UID, ResourceVersion: &b.ResourceVersion})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("deleting Unscheduled ClusterResourceBinding %q: %w", b.Name, err)
	}
	r.expectations.wrote(crp, b.UID, b.ResourceVersion)
	ctrl.LoggerFrom(ctx).Info("Deleted binding of unscheduled cluster", "binding", klog.KObj(b), "cluster", b.Spec.TargetCluster)
	return nil
}

// writeRolloutStarted sets the binding's RolloutStarted condition, writing
// only when it changes.
func (r *Reconciler) writeRolloutStarted(ctx context.Context, crp string, b *placementv1beta1.ClusterResourceBinding, cond metav1.Condition) error {
	replaced := b.ResourceVersion
	b = b.DeepCopy()
	if !meta.SetStatusCondition(&b.Status.Conditions, cond) {
		return nil
	}
	if err := r.client.Status().Update(ctx, b); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("setting %s=%s on ClusterResourceBinding %q: %w", cond.Type, cond.Status, b.Name, err)
	}
	r.expectations.wrote(crp, b.UID, replaced)
	ctrl.LoggerFrom(ctx).V(2).Info("Set RolloutStarted on binding", "binding", klog.KObj(b),
		"status", cond.Status, "reason", cond.Reason, "message", cond.Message)
	return nil
}
