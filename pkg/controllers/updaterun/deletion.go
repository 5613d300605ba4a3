package updaterun

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// executeDeletionStage removes the bindings of the clusters the placement
// let go (recorded at initialization), once every update stage succeeded.
// In the Stop state it deletes nothing more and waits for the deletions in
// flight. It reports true once no such binding is left.
func (p *pass) executeDeletionStage(ctx context.Context, f *fleet, stop bool) (bool, error) {
	s := p.run.Status.DeletionStageStatus
	if s.StartTime == nil && !stop {
		s.StartTime = &metav1.Time{Time: p.now}
	}
	if !stop {
		p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason, "")
	}

	pending := 0
	for i := range s.Clusters {
		c := &s.Clusters[i]
		if clusterFinished(c) {
			continue
		}
		b := f.bindings[c.ClusterName]
		switch {
		case b != nil && b.Spec.State != placementv1beta1.BindingStateUnscheduled:
			// Picked again since the run began: it is not this run's to remove.
			p.skip(c, fmt.Sprintf("the placement picked cluster %q again; binding %q is %s", c.ClusterName, b.Name, b.Spec.State))
		case b != nil && !stop:
			if err := p.r.client.Delete(ctx, b, client.Preconditions{UID: &b.UID}); client.IgnoreNotFound(err) != nil {
				return false, fmt.Errorf("deleting ClusterResourceBinding %q: %w", b.Name, err)
			}
			p.setCluster(c, placementv1beta1.ClusterUpdatingConditionStarted, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, "")
			pending++
		case b != nil:
			if clusterStarted(c) {
				pending++
			}
		case f.deleting[c.ClusterName] != nil:
			pending++ // its Works are being removed
		default:
			p.setCluster(c, placementv1beta1.ClusterUpdatingConditionStarted, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, "")
			p.succeed(c)
		}
	}

	switch {
	case stop && pending > 0:
		p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionUnknown, placementv1beta1.StageUpdatingStoppingReason,
			"Waiting for the clusters being removed before the stage stops")
		p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason,
			fmt.Sprintf("The update run is stopping; waiting for %d cluster(s) being removed", pending))
		return false, nil
	case stop:
		// Nothing is being removed any more: the stage stops here, and what
		// is left (or, if everything was removed, its success) waits for Run.
		p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason,
			"The stage is stopped; set the run's state to Run to resume")
		p.stopped()
		return false, nil
	case pending > 0:
		p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason, "")
		return false, nil
	}
	p.setStage(s, placementv1beta1.StageUpdatingConditionSucceeded, metav1.ConditionTrue, placementv1beta1.StageUpdatingSucceededReason, "")
	s.EndTime = &metav1.Time{Time: p.now}
	return true, nil
}
