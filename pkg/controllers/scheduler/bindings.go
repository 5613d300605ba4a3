package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// maxBindingNameLength keeps binding names valid DNS labels.
const maxBindingNameLength = 63

// bindingName builds <placement>-<cluster>-<suffix>, shortening the
// placement and cluster parts (the longer one first) so that the name has
// at most 63 characters.
func bindingName(placement, cluster, suffix string) string {
	budget := maxBindingNameLength - len(suffix) - 2
	p, c := placement, cluster
	if len(p)+len(c) > budget {
		half := budget / 2
		switch {
		case len(p) <= half:
			c = c[:budget-len(p)]
		case len(c) <= budget-half:
			p = p[:budget-len(c)]
		default:
			p, c = p[:half], c[:budget-half]
		}
	}
	// A cut may leave a '.' or '-' that would end a DNS subdomain segment.
	p, c = strings.TrimRight(p, ".-"), strings.TrimRight(c, ".-")
	return p + "-" + c + "-" + suffix
}

// randomSuffix returns 8 random lowercase hex characters.
func randomSuffix() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newBinding returns a Scheduled binding of the placement on the cluster of
// the decision. It carries the work generator's finalizer from the start, as
// well as the scheduler's: the work generator would otherwise add it with one
// more write per binding before it writes the first Work (it still does for
// bindings created without it).
func newBinding(placement, snapshotName, suffix string, d placementv1beta1.ClusterDecision) *placementv1beta1.ClusterResourceBinding {
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:       bindingName(placement, d.ClusterName, suffix),
			Labels:     map[string]string{placementv1beta1.PlacementTrackingLabel: placement},
			Finalizers: []string{placementv1beta1.SchedulerBindingCleanupFinalizer, placementv1beta1.WorkFinalizer},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        placementv1beta1.BindingStateScheduled,
			SchedulingPolicySnapshotName: snapshotName,
			TargetCluster:                d.ClusterName,
			ClusterDecision:              d,
		},
	}
}

// patch writes desired over current, failing with a conflict when current
// is stale.
func (r *Reconciler) patch(ctx context.Context, current, desired *placementv1beta1.ClusterResourceBinding) error {
	if err := r.client.Patch(ctx, desired, client.MergeFromWithOptions(current, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	r.ownWrites.updated(current.Labels[placementv1beta1.PlacementTrackingLabel], current.Name, current.ResourceVersion)
	return nil
}

// releaseBinding removes the scheduler's finalizer from a binding, so that
// only other controllers' finalizers (such as the work generator's) hold it.
func (r *Reconciler) releaseBinding(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) error {
	if !controllerutil.ContainsFinalizer(b, placementv1beta1.SchedulerBindingCleanupFinalizer) {
		return nil
	}
	released := b.DeepCopy()
	controllerutil.RemoveFinalizer(released, placementv1beta1.SchedulerBindingCleanupFinalizer)
	if err := r.patch(ctx, b, released); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the scheduler finalizer from ClusterResourceBinding %q: %w", b.Name, err)
	}
	return nil
}

// deleteBinding releases and deletes a binding.
func (r *Reconciler) deleteBinding(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) error {
	if err := r.releaseBinding(ctx, b); err != nil {
		return err
	}
	if !b.DeletionTimestamp.IsZero() {
		return nil
	}
	if err := r.client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting ClusterResourceBinding %q: %w", b.Name, err)
	}
	r.ownWrites.deleted(b.Labels[placementv1beta1.PlacementTrackingLabel], b.Name)
	return nil
}

// applyPlan writes the binding changes of a scheduling pass: it lets go of
// bindings being deleted and of redundant duplicates, unschedules and updates
// existing bindings, then creates the new ones.
func (r *Reconciler) applyPlan(ctx context.Context, placement, snapshotName string, p *schedulePlan) error {
	log := ctrl.LoggerFrom(ctx)
	for _, b := range p.release {
		if err := r.releaseBinding(ctx, b); err != nil {
			return err
		}
	}
	for _, b := range p.deleteDuplicates {
		if err := r.deleteBinding(ctx, b); err != nil {
			return err
		}
		log.Info("Deleted duplicate binding", "binding", klog.KObj(b), "cluster", b.Spec.TargetCluster)
	}
	for _, b := range p.keepDuplicates {
		log.Info("Found a duplicate binding that may hold resources; leaving it for an operator", "binding", klog.KObj(b), "cluster", b.Spec.TargetCluster, "state", b.Spec.State)
	}
	for _, u := range p.update {
		if err := r.patch(ctx, u.current, u.desired); err != nil {
			return fmt.Errorf("updating ClusterResourceBinding %q: %w", u.current.Name, err)
		}
		if u.current.Spec.State != u.desired.Spec.State {
			log.Info("Changed binding state", "binding", klog.KObj(u.current), "cluster", u.current.Spec.TargetCluster,
				"from", u.current.Spec.State, "to", u.desired.Spec.State)
		} else {
			log.V(2).Info("Updated binding", "binding", klog.KObj(u.current), "cluster", u.current.Spec.TargetCluster)
		}
	}
	return r.createBindings(ctx, placement, snapshotName, p.create)
}

// createBinding creates the binding of one decision.
func (r *Reconciler) createBinding(ctx context.Context, placement, snapshotName string, d placementv1beta1.ClusterDecision) error {
	suffix, err := randomSuffix()
	if err != nil {
		return err
	}
	b := newBinding(placement, snapshotName, suffix, d)
	if err := r.client.Create(ctx, b); err != nil {
		return fmt.Errorf("creating ClusterResourceBinding %q: %w", b.Name, err)
	}
	r.ownWrites.created(placement, b.Name)
	ctrl.LoggerFrom(ctx).Info("Created binding", "binding", klog.KObj(b), "cluster", d.ClusterName)
	return nil
}
