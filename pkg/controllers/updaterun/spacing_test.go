package updaterun

import (
	"testing"
	"time"
)

func TestPassSpacingDelay(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]struct {
		written bool
		forget  bool
		after   time.Duration
		want    time.Duration
	}{
		"a run never written goes at once":               {after: 100 * time.Millisecond},
		"a change just after a write waits out the rest": {written: true, after: 200 * time.Millisecond, want: 300 * time.Millisecond},
		"a change right at the write waits it all":       {written: true, want: 500 * time.Millisecond},
		"a change after the spacing goes at once":        {written: true, after: 600 * time.Millisecond},
		"a forgotten run goes at once":                   {written: true, forget: true, after: 100 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			now := start
			s := newPassSpacing(500 * time.Millisecond)
			s.now = func() time.Time { return now }
			if tc.written {
				s.written("run")
			}
			if tc.forget {
				s.forget("run")
			}
			now = now.Add(tc.after)
			if got := s.delay("run"); got != tc.want {
				t.Errorf("delay = %v, want %v", got, tc.want)
			}
			if got := s.delay("other"); got != 0 {
				t.Errorf("delay of another run = %v, want 0", got)
			}
		})
	}
}
