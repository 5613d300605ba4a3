package workgenerator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

// outcome is what one pass found out about a binding's Works; the binding's
// status is computed from it (see computeStatus).
type outcome struct {
	// failure, when set, says why the Works could not be synchronized.
	failure string
	// pending, when set, says what the Works wait for before they can be synchronized.
	pending string
	// works are the binding's Works as they stand after the pass, not
	// counting those being deleted. A Work written in the pass is its
	// post-write version, so it has no report at its new generation yet.
	works []*placementv1beta1.Work
	// wrote is true when the pass created or updated a Work, so that the
	// member agent's report on it is to come.
	wrote bool
	// started is true when the rollout's decision is implied (see decide):
	// the status written says RolloutStarted True at the binding's
	// generation too.
	started bool
}

// transientError marks an error that only says our cache is behind our own
// writes: it is retried without being reported on the binding.
type transientError struct{ err error }

func (e transientError) Error() string { return e.err.Error() }
func (e transientError) Unwrap() error { return e.err }

func isTransient(err error) bool {
	var t transientError
	return errors.As(err, &t)
}

// syncWorks makes the binding's Works in its cluster's namespace carry the
// resource snapshot group the binding names, one Work per snapshot, and
// deletes the binding's Works no snapshot asks for any more. A Work is only
// written when it differs from what it should be.
//
// It returns the outcome to report, and an error when the pass should be
// retried; errors that retrying cannot fix are terminal.
func (r *Reconciler) syncWorks(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) (outcome, error) {
	failed := func(err error) (outcome, error) { return outcome{failure: err.Error()}, err }
	// invalid reports input that retrying cannot fix.
	invalid := func(err error) (outcome, error) { return outcome{failure: err.Error()}, reconcile.TerminalError(err) }
	crp := b.Labels[placementv1beta1.PlacementTrackingLabel]
	if crp == "" {
		return invalid(fmt.Errorf("the binding has no %s label", placementv1beta1.PlacementTrackingLabel))
	}
	if b.Spec.ResourceSnapshotName == "" {
		return invalid(errors.New("the binding is Bound but names no resource snapshot"))
	}

	live, deleting, err := r.listWorks(ctx, b)
	if err != nil {
		return failed(err)
	}

	master := &placementv1beta1.ClusterResourceSnapshot{}
	switch err := r.client.Get(ctx, types.NamespacedName{Name: b.Spec.ResourceSnapshotName}, master); {
	case apierrors.IsNotFound(err):
		// A pruned snapshot does not matter while the Works still carry it;
		// otherwise the snapshot watch brings the binding back if it comes.
		if len(live) > 0 && worksMatchBinding(b, live) {
			return outcome{works: sortedWorks(live)}, nil
		}
		return outcome{failure: fmt.Sprintf("resource snapshot %q does not exist", b.Spec.ResourceSnapshotName)}, nil
	case err != nil:
		return failed(fmt.Errorf("getting ClusterResourceSnapshot %q: %w", b.Spec.ResourceSnapshotName, err))
	}
	if got := master.Labels[placementv1beta1.PlacementTrackingLabel]; got != crp {
		return invalid(fmt.Errorf("resource snapshot %q belongs to placement %q, not %q", master.Name, got, crp))
	}

	members := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := r.client.List(ctx, members, cacheindex.InPlacement(crp),
		client.MatchingLabels{placementv1beta1.ResourceIndexLabel: master.Labels[placementv1beta1.ResourceIndexLabel]}); err != nil {
		return failed(fmt.Errorf("listing resource snapshots of group %q: %w", master.Name, err))
	}
	group, missing, err := orderGroup(master, members.Items)
	if err != nil {
		return invalid(err)
	}
	if missing > 0 {
		// The snapshot watch brings the binding back as the rest arrive.
		return outcome{pending: fmt.Sprintf("Waiting for %d more resource snapshot(s) of group %q", missing, master.Name)}, nil
	}
	desired, err := buildWorks(b, crp, namespaceOf(b.Spec.TargetCluster), group)
	if err != nil {
		return invalid(err)
	}

	var o outcome
	var waiting []string
	wanted := map[string]bool{}
	for _, want := range desired {
		wanted[want.Name] = true
		if deleting[want.Name] {
			// Its member agent is still removing what it applied; the Work
			// watch brings the binding back once it is gone.
			waiting = append(waiting, want.Name)
			continue
		}
		w, wrote, err := r.upsertWork(ctx, live[want.Name], want)
		if err != nil {
			return failed(err)
		}
		o.works = append(o.works, w)
		o.wrote = o.wrote || wrote
	}
	for name, w := range live {
		if !wanted[name] {
			if err := r.deleteWork(ctx, w); err != nil {
				return failed(err)
			}
		}
	}
	if len(waiting) > 0 {
		slices.Sort(waiting)
		o.pending = fmt.Sprintf("Waiting for the previous Work(s) %s to be deleted before writing them again", strings.Join(waiting, ", "))
	}
	return o, nil
}

// listWorks returns the binding's Works in its cluster's namespace: the live
// ones by name, and the names of those being deleted. They are the cache's
// own objects, not copies (a Work's manifests can be large, and each
// reconcile of a binding lists its Works): the work generator only reads
// them, and mergeWork copies the one it writes.
func (r *Reconciler) listWorks(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) (map[string]*placementv1beta1.Work, map[string]bool, error) {
	list := &placementv1beta1.WorkList{}
	if err := r.client.List(ctx, list, client.InNamespace(namespaceOf(b.Spec.TargetCluster)), cacheindex.OfBinding(b.Name),
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("listing Works of ClusterResourceBinding %q: %w", b.Name, err)
	}
	live := map[string]*placementv1beta1.Work{}
	deleting := map[string]bool{}
	for i := range list.Items {
		w := &list.Items[i]
		if w.DeletionTimestamp.IsZero() {
			live[w.Name] = w
		} else {
			deleting[w.Name] = true
		}
	}
	return live, deleting, nil
}

// upsertWork creates the desired Work, or brings the existing one up to
// date, and returns the Work as written (or as it was, when nothing needed
// writing) and whether it wrote it. Writes are guarded by the existing
// Work's resourceVersion.
func (r *Reconciler) upsertWork(ctx context.Context, existing, want *placementv1beta1.Work) (*placementv1beta1.Work, bool, error) {
	log := ctrl.LoggerFrom(ctx)
	if existing == nil {
		err := r.client.Create(ctx, want)
		switch {
		case apierrors.IsAlreadyExists(err):
			return nil, false, r.explainExisting(ctx, want)
		case err != nil:
			return nil, false, fmt.Errorf("creating Work %s/%s: %w", want.Namespace, want.Name, err)
		}
		log.V(2).Info("Created Work", "work", klog.KObj(want))
		return want, true, nil
	}
	if workUpToDate(existing, want) {
		return existing, false, nil
	}
	w := mergeWork(existing, want)
	if err := r.client.Update(ctx, w); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil, false, transientError{fmt.Errorf("updating Work %s/%s: %w", w.Namespace, w.Name, err)}
		}
		return nil, false, fmt.Errorf("updating Work %s/%s: %w", w.Namespace, w.Name, err)
	}
	log.V(2).Info("Updated Work", "work", klog.KObj(w), "generation", w.Generation)
	return w, true, nil
}

// explainExisting tells a Work our cache has not seen yet (transient) from
// one that belongs to another binding, which is reported.
func (r *Reconciler) explainExisting(ctx context.Context, want *placementv1beta1.Work) error {
	other := &placementv1beta1.Work{}
	err := r.client.Get(ctx, client.ObjectKeyFromObject(want), other)
	if err == nil && other.Labels[placementv1beta1.ParentBindingLabel] != want.Labels[placementv1beta1.ParentBindingLabel] {
		return fmt.Errorf("the Work %s/%s exists already and belongs to binding %q", want.Namespace, want.Name,
			other.Labels[placementv1beta1.ParentBindingLabel])
	}
	return transientError{fmt.Errorf("creating Work %s/%s: it exists already", want.Namespace, want.Name)}
}

// deleteWork deletes a Work unless it is gone or going already.
func (r *Reconciler) deleteWork(ctx context.Context, w *placementv1beta1.Work) error {
	if !w.DeletionTimestamp.IsZero() {
		return nil
	}
	if err := r.client.Delete(ctx, w, client.Preconditions{UID: &w.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting Work %s/%s: %w", w.Namespace, w.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(2).Info("Deleted Work", "work", klog.KObj(w))
	return nil
}

// deleteWorks deletes every Work of the binding, letting its leaving cluster go.
func (r *Reconciler) deleteWorks(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) error {
	live, _, err := r.listWorks(ctx, b)
	if err != nil {
		return err
	}
	for _, w := range live {
		if err := r.deleteWork(ctx, w); err != nil {
			return err
		}
	}
	if len(live) > 0 {
		ctrl.LoggerFrom(ctx).Info("Deleted the Works of an Unscheduled binding: its cluster is leaving the fleet", "count", len(live))
	}
	return nil
}
