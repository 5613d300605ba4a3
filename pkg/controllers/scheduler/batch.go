package scheduler

import (
	"context"
	"errors"
	"sync"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// maxCreateBatch caps the binding creations one scheduling pass has in
// flight at once.
const maxCreateBatch = 16

// createBindings creates the bindings of a pass's new decisions in batches
// that start at one and double up to maxCreateBatch, the creations of a
// batch at once, the way the ReplicaSet controller creates pods: a pass
// whose creations fail (a webhook, a quota, a stopping API server) fails
// on its first one, and one whose creations succeed does not wait for one
// round trip per cluster. A placement picking 100 clusters creates their
// bindings in 8 round trips instead of 100. A batch runs to its end even
// when one of its creations fails, so that every binding that was created
// is recorded as this scheduler's own write; the pass then returns the
// batch's errors and the next pass picks up from what the cache shows.
func (r *Reconciler) createBindings(ctx context.Context, placement, snapshotName string, decisions []placementv1beta1.ClusterDecision) error {
	for size := 1; len(decisions) > 0; size = min(2*size, maxCreateBatch) {
		batch := decisions[:min(size, len(decisions))]
		decisions = decisions[len(batch):]
		if err := inParallel(len(batch), func(i int) error {
			return r.createBinding(ctx, placement, snapshotName, batch[i])
		}); err != nil {
			return err
		}
	}
	return nil
}

// inParallel calls fn for 0..n-1 at once and returns their errors joined.
func inParallel(n int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
