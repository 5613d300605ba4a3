package scheduler

import (
	"context"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/batch"
)

// maxCreateBatch caps the binding creations one scheduling pass has in
// flight at once.
const maxCreateBatch = 16

// createBindings creates the bindings of a pass's new decisions in slow-start
// batches (see batch.SlowStart): a placement picking 100 clusters creates
// their bindings in 10 round trips instead of 100, and one whose creations
// fail stops at the first. Every binding created is recorded as this
// scheduler's own write, those of a failing batch too; the next pass picks
// up from what the cache then shows.
func (r *Reconciler) createBindings(ctx context.Context, placement, snapshotName string, decisions []placementv1beta1.ClusterDecision) error {
	return batch.SlowStart(len(decisions), maxCreateBatch, func(i int) error {
		return r.createBinding(ctx, placement, snapshotName, decisions[i])
	})
}
