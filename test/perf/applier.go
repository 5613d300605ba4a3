package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	workapplier "github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
)

// memberNamespacePrefix starts the hub namespaces of member clusters, where
// their Works live.
const memberNamespacePrefix = "fleet-member-"

// simulatedFailure is the error message of a simulated apply failure.
const simulatedFailure = "simulated apply failure (--failure-rate); the member agent retries"

// applier plays the work applier of every simulated member: one informer
// over all Works, and a small pool of workers that write the status the
// real member agent writes (pkg/memberagent/applier/status.go) once it has
// applied a Work.
type applier struct {
	reader client.Reader // the informer cache
	writer client.Client
	mapper meta.RESTMapper
	queue  workqueue.TypedRateLimitingInterface[types.NamespacedName]

	delay       time.Duration
	retryAfter  time.Duration
	failureRate float64

	mu sync.Mutex
	// failedAt holds, per Work, the generation at which it reported a
	// simulated failure; the retry of that generation succeeds.
	failedAt map[types.NamespacedName]int64

	statusWrites atomic.Int64
	failures     atomic.Int64
	errors       atomic.Int64
}

func newApplier(reader client.Reader, writer client.Client, delay, retryAfter time.Duration, failureRate float64) *applier {
	return &applier{
		reader: reader,
		writer: writer,
		mapper: writer.RESTMapper(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName](),
			workqueue.TypedRateLimitingQueueConfig[types.NamespacedName]{Name: "perf-applier"}),
		delay:       delay,
		retryAfter:  retryAfter,
		failureRate: failureRate,
		failedAt:    map[types.NamespacedName]int64{},
	}
}

// start registers the Work informer's handler on c and runs workers until
// ctx ends.
func (a *applier) start(ctx context.Context, c cache.Cache, workers int) error {
	inf, err := c.GetInformer(ctx, &placementv1beta1.Work{})
	if err != nil {
		return fmt.Errorf("getting the Work informer: %w", err)
	}
	enqueue := func(obj any) {
		w, ok := obj.(*placementv1beta1.Work)
		if !ok || !strings.HasPrefix(w.Namespace, memberNamespacePrefix) || !needsStatus(w) {
			return
		}
		a.queue.AddAfter(types.NamespacedName{Namespace: w.Namespace, Name: w.Name}, a.delay)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return err
	}
	for range workers {
		go a.work(ctx)
	}
	go func() {
		<-ctx.Done()
		a.queue.ShutDown()
	}()
	return nil
}

func (a *applier) work(ctx context.Context) {
	for {
		key, shutdown := a.queue.Get()
		if shutdown {
			return
		}
		if err := a.process(ctx, key); err != nil {
			a.errors.Add(1)
			a.queue.AddRateLimited(key)
		} else {
			a.queue.Forget(key)
		}
		a.queue.Done(key)
	}
}

// needsStatus reports whether the member agent has not reported on the Work's
// current generation yet.
func needsStatus(w *placementv1beta1.Work) bool {
	c := meta.FindStatusCondition(w.Status.Conditions, string(placementv1beta1.WorkConditionTypeApplied))
	return c == nil || c.ObservedGeneration != w.Generation
}

// process reports one Work applied (or, for a --failure-rate share of the
// generations, failed first and applied on the retry).
func (a *applier) process(ctx context.Context, key types.NamespacedName) error {
	w := &placementv1beta1.Work{}
	if err := a.reader.Get(ctx, key, w); err != nil {
		return client.IgnoreNotFound(err)
	}
	applied := meta.FindStatusCondition(w.Status.Conditions, string(placementv1beta1.WorkConditionTypeApplied))
	if applied != nil && applied.ObservedGeneration == w.Generation && applied.Status == metav1.ConditionTrue {
		return nil
	}
	fail := false
	a.mu.Lock()
	if gen, ok := a.failedAt[key]; !ok || gen != w.Generation {
		if fail = a.failureRate > 0 && rand.Float64() < a.failureRate; fail {
			a.failedAt[key] = w.Generation
		}
	}
	a.mu.Unlock()

	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			if err := a.writer.Get(ctx, key, w); err != nil {
				return err
			}
		}
		first = false
		var failApply map[int]string
		if fail {
			failApply = map[int]string{0: simulatedFailure}
		}
		w.Status = workapplier.AppliedStatus(w, a.mapper, failApply, metav1.Now())
		a.statusWrites.Add(1)
		return a.writer.Status().Update(ctx, w)
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing the status of Work %s: %w", key, err)
	}
	if fail {
		a.failures.Add(1)
		a.queue.AddAfter(key, a.retryAfter)
	}
	return nil
}
