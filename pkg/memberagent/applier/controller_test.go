package applier

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestRetryLimiterCapsTheBackOff(t *testing.T) {
	l := retryLimiter()
	work := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "fleet-member-m", Name: "w"}}
	if first := l.When(work); first > 10*time.Millisecond {
		t.Errorf("first retry after %s, want a quick one", first)
	}
	var last time.Duration
	for range 30 {
		last = l.When(work)
	}
	if last != maxRetryDelay {
		t.Errorf("retry after 30 failures comes after %s, want the cap %s", last, maxRetryDelay)
	}
	l.Forget(work)
	if again := l.When(work); again > 10*time.Millisecond {
		t.Errorf("a Work that applied retries after %s next time, want a quick one", again)
	}
}
