package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	uberzap "go.uber.org/zap"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// countingSink counts the WithValues calls that reach a sink.
type countingSink struct {
	logr.LogSink
	withValues *int
}

func (c countingSink) WithValues(kv ...any) logr.LogSink {
	*c.withValues++
	return countingSink{LogSink: c.LogSink.WithValues(kv...), withValues: c.withValues}
}

func (c countingSink) WithName(name string) logr.LogSink {
	return countingSink{LogSink: c.LogSink.WithName(name), withValues: c.withValues}
}

func (c countingSink) WithCallDepth(depth int) logr.LogSink {
	return countingSink{LogSink: c.LogSink.(logr.CallDepthLogSink).WithCallDepth(depth), withValues: c.withValues}
}

func TestDeferValues(t *testing.T) {
	// Each case logs through a logger built from a base one; the deferred
	// logger must write exactly what the base one writes.
	tests := map[string]func(l logr.Logger){
		"plain line":          func(l logr.Logger) { l.Info("hello", "k", 1) },
		"values":              func(l logr.Logger) { l.WithValues("a", 1).WithValues("b", "two").Info("hello", "k", 1) },
		"names around values": func(l logr.Logger) { l.WithName("x").WithValues("a", 1).WithName("y").Info("hello") },
		"error":               func(l logr.Logger) { l.WithValues("a", 1).Error(errors.New("boom"), "failed", "k", 2) },
		"verbosity":           func(l logr.Logger) { l.WithValues("a", 1).V(1).Info("shown"); l.V(2).Info("hidden") },
		"siblings do not mix": func(l logr.Logger) {
			p := l.WithValues("a", 1)
			p.WithValues("b", 2).Info("one")
			p.WithValues("c", 3).Info("two")
		},
		"two lines, one logger": func(l logr.Logger) { d := l.WithValues("a", 1); d.Info("one"); d.Info("two") },
		"call depth":            func(l logr.Logger) { l.WithCallDepth(0).WithValues("a", 1).Info("hello") },
	}
	for name, logs := range tests {
		t.Run(name, func(t *testing.T) {
			var want, got []string
			opts := funcr.Options{Verbosity: 1, LogCaller: funcr.All}
			logs(funcr.New(func(prefix, args string) { want = append(want, prefix+" "+args) }, opts))
			logs(DeferValues(funcr.New(func(prefix, args string) { got = append(got, prefix+" "+args) }, opts)))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("deferred logger wrote\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestDeferValuesAppliesValuesOnlyToWrittenLines(t *testing.T) {
	n := 0
	base := logr.New(countingSink{LogSink: funcr.New(func(string, string) {}, funcr.Options{}).GetSink(), withValues: &n})
	l := DeferValues(base)
	for range 100 {
		l.WithValues("reconcileID", "x").WithValues("name", "y").V(4).Info("not written")
	}
	if n != 0 {
		t.Errorf("values reached the base sink %d times with no line written, want 0", n)
	}
	d := l.WithValues("reconcileID", "x")
	d.Info("written")
	d.Info("written again")
	if n != 1 {
		t.Errorf("values reached the base sink %d times for two lines of one logger, want 1", n)
	}
}

// TestDeferValuesWithZap checks the agents' own sink: the same JSON fields,
// and the caller of the line rather than the deferred sink.
func TestDeferValuesWithZap(t *testing.T) {
	line := func(wrap func(logr.Logger) logr.Logger) map[string]any {
		t.Helper()
		var buf bytes.Buffer
		l := wrap(zap.New(zap.WriteTo(&buf), zap.RawZapOpts(uberzap.AddCaller())))
		l.WithName("ctl").WithValues("controller", "placement", "reconcileID", "r1").Info("hello", "k", 1)
		out := map[string]any{}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatalf("%v: %s", err, buf.String())
		}
		delete(out, "ts")
		return out
	}
	want := line(func(l logr.Logger) logr.Logger { return l })
	got := line(DeferValues)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deferred zap line = %v, want %v", got, want)
	}
	if caller, _ := got["caller"].(string); !strings.Contains(caller, "deferred_test.go") {
		t.Errorf("caller = %q, want this test file", caller)
	}
}
