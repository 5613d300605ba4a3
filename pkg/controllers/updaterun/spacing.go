package updaterun

import (
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/flotilla-dev/flotilla/pkg/util/handlers"
)

// DefaultBindingPassSpacing is how far apart the passes of one run that
// binding changes cause are kept. A stage's clusters finish one after the
// other, and every pass that sees one finish writes the run's status (a
// large object). The first change after a quiet spell is acted on at once;
// those that come within the spacing of the run's last status write are
// collected into one pass when it is over.
const DefaultBindingPassSpacing = 500 * time.Millisecond

// passSpacing remembers when each run's status was last written.
type passSpacing struct {
	spacing time.Duration
	now     func() time.Time

	mu    sync.Mutex
	wrote map[string]time.Time
}

func newPassSpacing(spacing time.Duration) *passSpacing {
	return &passSpacing{spacing: spacing, now: time.Now, wrote: map[string]time.Time{}}
}

// written records a status write of the run.
func (s *passSpacing) written(run string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wrote[run] = s.now()
}

// forget drops a run that is gone or finished.
func (s *passSpacing) forget(run string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.wrote, run)
}

// delay is how long a binding change waits before the run's pass.
func (s *passSpacing) delay(run string) time.Duration {
	return s.hold(run, s.spacing)
}

// hold is how much longer a write of the run must wait for pace to have
// passed since its last status write; zero for a run not written yet.
func (s *passSpacing) hold(run string, pace time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.wrote[run]
	if !ok {
		return 0
	}
	return max(0, last.Add(pace).Sub(s.now()))
}

// enqueueSpaced maps an object to runs with mapFn and enqueues each after
// its delay.
func (s *passSpacing) enqueueSpaced(mapFn handler.MapFunc) handler.EventHandler {
	return handlers.EnqueueAfter(mapFn, func(req reconcile.Request) time.Duration { return s.delay(req.Name) })
}
