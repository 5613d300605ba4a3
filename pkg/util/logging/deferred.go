// Package logging holds the agents' logger plumbing.
package logging

import (
	"slices"
	"sync/atomic"

	"github.com/go-logr/logr"
)

// DeferValues returns a logger that writes what l writes, but hands the
// key/value pairs added with WithValues to l's sink only when a line is
// written. controller-runtime adds a few pairs to a logger on every
// reconcile, and a zap sink encodes them into a new buffer as soon as they
// are added, whether the reconcile logs anything or not: on a busy hub that
// is a sizeable share of all allocations, and of the garbage collector's
// work. A line written through a derived logger costs one WithValues of
// the base sink, once per derived logger.
func DeferValues(l logr.Logger) logr.Logger {
	base := l.GetSink()
	if base == nil {
		return l
	}
	// Lines pass through one more frame, the deferred sink's.
	if cd, ok := base.(logr.CallDepthLogSink); ok {
		base = cd.WithCallDepth(1)
	}
	return logr.New(&deferredSink{base: base})
}

// deferredSink is a sink with names applied and values not yet applied.
type deferredSink struct {
	base   logr.LogSink
	values []any
	// applied is base with values, made for the first line written.
	applied atomic.Pointer[logr.LogSink]
}

var (
	_ logr.LogSink          = (*deferredSink)(nil)
	_ logr.CallDepthLogSink = (*deferredSink)(nil)
)

// Init does nothing: the base sink was initialised by the logger it came
// from, and DeferValues accounts for the extra frame.
func (d *deferredSink) Init(logr.RuntimeInfo) {}

func (d *deferredSink) Enabled(level int) bool { return d.base.Enabled(level) }

func (d *deferredSink) Info(level int, msg string, keysAndValues ...any) {
	d.sink().Info(level, msg, keysAndValues...)
}

func (d *deferredSink) Error(err error, msg string, keysAndValues ...any) {
	d.sink().Error(err, msg, keysAndValues...)
}

func (d *deferredSink) WithValues(keysAndValues ...any) logr.LogSink {
	return &deferredSink{base: d.base, values: append(slices.Clip(d.values), keysAndValues...)}
}

func (d *deferredSink) WithName(name string) logr.LogSink {
	return &deferredSink{base: d.base.WithName(name), values: d.values}
}

func (d *deferredSink) WithCallDepth(depth int) logr.LogSink {
	cd, ok := d.base.(logr.CallDepthLogSink)
	if !ok {
		return d
	}
	return &deferredSink{base: cd.WithCallDepth(depth), values: d.values}
}

// sink is the base sink with the values applied.
func (d *deferredSink) sink() logr.LogSink {
	if len(d.values) == 0 {
		return d.base
	}
	if s := d.applied.Load(); s != nil {
		return *s
	}
	s := d.base.WithValues(d.values...)
	d.applied.Store(&s)
	return s
}
