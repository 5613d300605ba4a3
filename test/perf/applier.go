package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
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
		w.Status = workStatus(w, fail, a.resourceOf)
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

// resourceOf returns the plural resource of a kind, as the real applier
// reports it; empty when the hub does not serve the kind.
func (a *applier) resourceOf(group, version, kind string) string {
	m, err := a.mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind}, version)
	if err != nil {
		return ""
	}
	return m.Resource.Resource
}

// workStatus is the status the member agent writes after applying w: one
// ManifestCondition per manifest (Applied, and Available as the member
// agent's availability rules judge the object), and the Work's Applied and
// Available conditions at its generation, with the reasons and messages of
// pkg/memberagent/applier. When fail is set the first manifest fails to
// apply, as an API error would make it, and Available is left out.
// Conditions carry over from the previous status, so that their transition
// times stay where nothing changed.
func workStatus(w *placementv1beta1.Work, fail bool, resourceOf func(group, version, kind string) string) placementv1beta1.WorkStatus {
	prev := map[int][]metav1.Condition{}
	for _, mc := range w.Status.ManifestConditions {
		prev[mc.Identifier.Ordinal] = mc.Conditions
	}
	status := placementv1beta1.WorkStatus{Conditions: slices.Clone(w.Status.Conditions)}
	if status.Conditions == nil {
		status.Conditions = []metav1.Condition{}
	}
	total := len(w.Spec.Workload.Manifests)
	var untrackable int
	firstFailed := ""
	for i, m := range w.Spec.Workload.Manifests {
		mc := placementv1beta1.ManifestCondition{Identifier: placementv1beta1.WorkResourceIdentifier{Ordinal: i}, Conditions: slices.Clone(prev[i])}
		if mc.Conditions == nil {
			mc.Conditions = []metav1.Condition{}
		}
		obj := &unstructured.Unstructured{}
		decodeErr := obj.UnmarshalJSON(m.Raw)
		if decodeErr == nil {
			gvk := obj.GroupVersionKind()
			mc.Identifier.Group, mc.Identifier.Version, mc.Identifier.Kind = gvk.Group, gvk.Version, gvk.Kind
			mc.Identifier.Namespace, mc.Identifier.Name = obj.GetNamespace(), obj.GetName()
			if resourceOf != nil {
				mc.Identifier.Resource = resourceOf(gvk.Group, gvk.Version, gvk.Kind)
			}
		}
		meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeDiffReported))
		appliedCond := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeApplied), Status: metav1.ConditionTrue,
			Reason: placementv1beta1.ManifestAppliedReason, Message: "The manifest is applied"}
		switch {
		case decodeErr != nil:
			appliedCond.Status, appliedCond.Reason = metav1.ConditionFalse, placementv1beta1.ManifestDecodingErredReason
			appliedCond.Message = fmt.Sprintf("Failed to decode the manifest: %v", decodeErr)
		case fail && i == 0:
			appliedCond.Status, appliedCond.Reason, appliedCond.Message = metav1.ConditionFalse, placementv1beta1.ManifestApplyFailedReason, simulatedFailure
		}
		meta.SetStatusCondition(&mc.Conditions, appliedCond)
		if appliedCond.Status == metav1.ConditionTrue {
			meta.SetStatusCondition(&mc.Conditions, manifestAvailable(obj, &untrackable))
		} else {
			meta.RemoveStatusCondition(&mc.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
			if firstFailed == "" {
				firstFailed = fmt.Sprintf("%s: %s", describeManifest(mc.Identifier), appliedCond.Message)
			}
		}
		status.ManifestConditions = append(status.ManifestConditions, mc)
	}
	setWorkConditions(&status, total, untrackable, firstFailed, w.Generation)
	return status
}

// manifestAvailable judges an applied object with the member agent's rules;
// untrackable counts the objects it cannot judge.
func manifestAvailable(obj *unstructured.Unstructured, untrackable *int) metav1.Condition {
	c := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeAvailable), Status: metav1.ConditionTrue}
	res, err := availability.Check(obj)
	switch {
	case err != nil || res == availability.NotTrackable:
		*untrackable++
		c.Reason = placementv1beta1.ManifestNotTrackableReason
		c.Message = "Fleet cannot track the availability of this kind of object and counts it as available"
	default:
		// A simulated member has every object ready at once, so a
		// workload the rules would find not ready yet is available too.
		c.Reason, c.Message = placementv1beta1.ManifestAvailableReason, "The object is available"
	}
	return c
}

// setWorkConditions sets the Work-level Applied and Available conditions.
func setWorkConditions(status *placementv1beta1.WorkStatus, total, untrackable int, firstFailed string, gen int64) {
	meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeDiffReported))
	applied := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeApplied), ObservedGeneration: gen}
	if firstFailed != "" {
		failed := 0
		for _, mc := range status.ManifestConditions {
			if !meta.IsStatusConditionTrue(mc.Conditions, string(placementv1beta1.WorkConditionTypeApplied)) {
				failed++
			}
		}
		applied.Status, applied.Reason = metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason
		applied.Message = fmt.Sprintf("%d of %d manifests are applied; %s", total-failed, total, firstFailed)
		meta.SetStatusCondition(&status.Conditions, applied)
		meta.RemoveStatusCondition(&status.Conditions, string(placementv1beta1.WorkConditionTypeAvailable))
		return
	}
	applied.Status, applied.Reason = metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason
	applied.Message = fmt.Sprintf("All %d manifests are applied", total)
	meta.SetStatusCondition(&status.Conditions, applied)

	available := metav1.Condition{Type: string(placementv1beta1.WorkConditionTypeAvailable), Status: metav1.ConditionTrue, ObservedGeneration: gen}
	if untrackable > 0 {
		available.Reason = placementv1beta1.WorkNotAllManifestsTrackableReason
		available.Message = fmt.Sprintf("All applied objects are available or cannot be tracked (%d cannot be tracked)", untrackable)
	} else {
		available.Reason = placementv1beta1.WorkAllManifestsAvailableReason
		available.Message = fmt.Sprintf("All %d applied objects are available", total)
	}
	meta.SetStatusCondition(&status.Conditions, available)
}

// describeManifest names a manifest in messages: "manifest 2 (ConfigMap app/cm)".
func describeManifest(id placementv1beta1.WorkResourceIdentifier) string {
	if id.Kind == "" {
		return fmt.Sprintf("manifest %d", id.Ordinal)
	}
	name := id.Name
	if id.Namespace != "" {
		name = id.Namespace + "/" + name
	}
	return fmt.Sprintf("manifest %d (%s %s)", id.Ordinal, id.Kind, name)
}
