package batch

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSlowStart(t *testing.T) {
	tests := map[string]struct {
		n, most int
		fail    []int
		// wantBatches is how many calls were in flight at once in each
		// batch, wantMade how many calls were made (0..wantMade-1),
		// wantErrs the calls whose errors it returns.
		wantBatches []int
		wantMade    int
		wantErrs    []int
	}{
		"nothing":                      {n: 0, most: 16},
		"one":                          {n: 1, most: 16, wantBatches: []int{1}, wantMade: 1},
		"doubling, the last one short": {n: 10, most: 16, wantBatches: []int{1, 2, 4, 3}, wantMade: 10},
		"capped":                       {n: 40, most: 8, wantBatches: []int{1, 2, 4, 8, 8, 8, 8, 1}, wantMade: 40},
		"the first call fails":         {n: 40, most: 8, fail: []int{0}, wantBatches: []int{1}, wantMade: 1, wantErrs: []int{0}},
		"a batch fails, and runs to its end": {
			n: 40, most: 8, fail: []int{3, 5}, wantBatches: []int{1, 2, 4}, wantMade: 7, wantErrs: []int{3, 5},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := map[int]error{}
			for _, i := range tc.fail {
				errs[i] = fmt.Errorf("call %d failed", i)
			}
			var mu sync.Mutex
			var calls []int
			inFlight, most := 0, 0
			var batches []int
			err := SlowStart(tc.n, tc.most, func(i int) error {
				mu.Lock()
				calls = append(calls, i)
				inFlight++
				most = max(most, inFlight)
				mu.Unlock()
				// Long enough for every call of a batch to start before
				// the first one returns.
				time.Sleep(10 * time.Millisecond)
				mu.Lock()
				inFlight--
				if inFlight == 0 {
					batches = append(batches, most)
					most = 0
				}
				mu.Unlock()
				return errs[i]
			})

			slices.Sort(calls)
			wantCalls := make([]int, 0, tc.wantMade)
			for i := range tc.wantMade {
				wantCalls = append(wantCalls, i)
			}
			if diff := cmp.Diff(wantCalls, calls, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("calls (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBatches, batches, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("calls at once per batch (-want,+got):\n%s", diff)
			}
			for _, i := range tc.wantErrs {
				if !errors.Is(err, errs[i]) {
					t.Errorf("SlowStart error = %v, want it to hold %v", err, errs[i])
				}
			}
			if len(tc.wantErrs) == 0 && err != nil {
				t.Errorf("SlowStart error = %v, want none", err)
			}
		})
	}
}
