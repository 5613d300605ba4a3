// Package batch runs a controller's independent writes of one reconcile
// concurrently, the way the ReplicaSet controller creates pods: in batches
// that start at one write and double, so that writes that cannot succeed
// (a webhook denies them, a quota is used up, the API server is stopping)
// fail on the first one, and writes that succeed do not each wait for the
// previous one's round trip.
package batch

import (
	"errors"
	"sync"
)

// SlowStart calls fn for 0..n-1 in batches of 1, 2, 4, ... calls at once,
// at most most at once. A batch runs to its end even when a call of it
// fails, so that every write that was made can be recorded; SlowStart then
// stops, leaving the calls after that batch untried, and returns the
// batch's errors joined.
func SlowStart(n, most int, fn func(i int) error) error {
	done := 0
	for size := 1; done < n; size = min(2*size, most) {
		batch := min(size, n-done)
		if err := parallel(done, batch, fn); err != nil {
			return err
		}
		done += batch
	}
	return nil
}

// parallel calls fn for from..from+n-1 at once and returns their errors joined.
func parallel(from, n int, fn func(i int) error) error {
	if n == 1 {
		return fn(from)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for j := range n {
		wg.Go(func() { errs[j] = fn(from + j) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
