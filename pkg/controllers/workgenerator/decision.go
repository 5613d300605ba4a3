package workgenerator

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/condition"
)

// rolloutDecision returns the binding's RolloutStarted condition when it is
// True or False at the binding's current generation, and nil otherwise.
func rolloutDecision(b *placementv1beta1.ClusterResourceBinding) *metav1.Condition {
	c := b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted))
	if c == nil || c.ObservedGeneration != b.Generation || c.Status == metav1.ConditionUnknown {
		return nil
	}
	return c
}

// decision is what the work generator goes by for a Bound binding's current
// generation.
type decision struct {
	// started is the RolloutStarted condition at the binding's generation;
	// nil while the rollout has not decided.
	started *metav1.Condition
	// implied is true when the binding does not carry started yet: the pass
	// writes it with the binding's status.
	implied bool
}

// decide returns the rollout's decision about a Bound binding's current
// generation. A RollingUpdate placement's rollout controller writes it as
// RolloutStarted. Under the External strategy only an update run binds a
// cluster, and binding it is the decision: the work generator writes
// RolloutStarted itself, in the status write that reports the Works, which
// saves a binding status write per cluster update. A RolloutStarted False
// written at the generation (a rollout controller's hold from before the
// placement became External) still holds, until a run overrides it.
func (r *Reconciler) decide(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) (decision, error) {
	if c := rolloutDecision(b); c != nil {
		return decision{started: c}, nil
	}
	external, err := r.externallyRolledOut(ctx, b)
	if err != nil || !external {
		return decision{}, err
	}
	return decision{started: impliedStart(b), implied: true}, nil
}

// externallyRolledOut reports whether the binding's placement uses the
// External rollout strategy. A placement that is gone has no rollout.
func (r *Reconciler) externallyRolledOut(ctx context.Context, b *placementv1beta1.ClusterResourceBinding) (bool, error) {
	name := b.Labels[placementv1beta1.PlacementTrackingLabel]
	if name == "" {
		return false, nil
	}
	// Only the strategy is read, so the placement (whose status lists every
	// cluster) is not copied out of the cache.
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := r.client.Get(ctx, types.NamespacedName{Name: name}, crp, client.UnsafeDisableDeepCopy); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("getting ClusterResourcePlacement %q: %w", name, err)
	}
	return crp.Spec.Strategy.Type == placementv1beta1.ExternalRolloutStrategyType, nil
}

// impliedStart is RolloutStarted True at the binding's generation, naming
// the snapshot index and the update run that bound the cluster (the run
// records its name in BindingUpdateRunAnnotation with its spec write).
func impliedStart(b *placementv1beta1.ClusterResourceBinding) *metav1.Condition {
	c := condition.RolloutStartedByRun(b.Generation, snapshotIndex(b.Spec.ResourceSnapshotName), b.Annotations[placementv1beta1.BindingUpdateRunAnnotation])
	return &c
}

// snapshotIndex is the index in a master resource snapshot's name,
// <placement>-<index>-snapshot; "" when the name is not of that form.
func snapshotIndex(name string) string {
	rest, ok := strings.CutSuffix(name, "-snapshot")
	if !ok {
		return ""
	}
	i := strings.LastIndex(rest, "-")
	if i < 0 {
		return ""
	}
	return rest[i+1:]
}
