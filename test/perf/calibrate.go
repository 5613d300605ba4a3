package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	workapplier "github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
)

// calibrationNamespace holds the calibration's Works. It is not a member
// namespace, so neither the hub agent nor the simulated applier touch them.
const calibrationNamespace = "perf-calibration"

// calibrationPlacement is the placement the calibration's bindings and Works
// name as their parent. It does not exist.
const calibrationPlacement = "perf-calibration"

// calibrationCleanupTimeout bounds the wait for a round's objects to be gone.
const calibrationCleanupTimeout = time.Minute

// The binding condition messages the update run and the work generator
// write when a cluster's rollout is done (pkg/controllers/updaterun
// startCluster, pkg/controllers/workgenerator computeStatus).
const (
	rolloutStartedMessage = "Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: %s, updateRun: %s"
	noOverrideMessage     = "No override rules are configured for the selected resources"
	allSyncedMessage      = "All of the works are synchronized to the latest"
	allAppliedMessage     = "All corresponding work objects are applied"
	allAvailableMessage   = "All corresponding work objects are available"
)

// Calibration is the hub API server's write throughput on this machine: the
// four writes of a cluster update (see minWritesPerClusterUpdate) on objects
// of the scenario's shape and size, at several writer counts.
type Calibration struct {
	Objects int                `json:"objects"`
	Rounds  []CalibrationRound `json:"rounds"`
	// Writers is the writer count of the fastest round.
	Writers int `json:"writers"`
	// WritesPerSecond is the fastest round's rate of a first rollout: the
	// rate the initial phase's bound is computed with.
	WritesPerSecond float64 `json:"writesPerSecond"`
	// UpdateWriters and UpdateWritesPerSecond are the same for a rollout
	// on objects that carry a previous rollout's status: the update
	// phase's bound.
	UpdateWriters         int     `json:"updateWriters"`
	UpdateWritesPerSecond float64 `json:"updateWritesPerSecond"`
}

// CalibrationRound is one writer count's two rollouts: the first on fresh
// objects, as in the initial phase, and then the update on the same
// objects, which carry the first rollout's status then, as the update
// phase's bindings and Works do (larger objects cost the API server more
// to decode, validate, track and store).
type CalibrationRound struct {
	// When is "before" the hub agent starts or "after" the phases, with
	// the hub agent stopped again.
	When    string `json:"when"`
	Writers int    `json:"writers"`
	CalibrationRollout
	Update CalibrationRollout `json:"update"`
}

// CalibrationRollout is one pass over the four writes, in writes per second.
type CalibrationRollout struct {
	// BindingSpec: the update run binds the cluster (state Bound, resource
	// snapshot name, apply strategy).
	BindingSpec float64 `json:"bindingSpecPerSecond"`
	// WorkUpdate: the work generator writes the new manifests into the Work.
	WorkUpdate float64 `json:"workUpdatePerSecond"`
	// WorkStatus: the member agent reports the Work applied and available.
	WorkStatus float64 `json:"workStatusPerSecond"`
	// BindingStatus: the work generator reports the binding applied and
	// available.
	BindingStatus float64 `json:"bindingStatusPerSecond"`
	// WritesPerSecond is the four steps' writes over their total time.
	WritesPerSecond float64 `json:"writesPerSecond"`
}

// calibrate times, for each writer count, the four writes of k cluster
// updates on fresh objects shaped like the scenario's (see
// calibrationRound), and returns the rounds marked with when. It runs while
// the hub agent is stopped, so it measures the API server alone, and it
// deletes its objects before it returns, so the hub agent never sees them.
func calibrate(ctx context.Context, c client.Client, k int, writers []int, when string) ([]CalibrationRound, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: calibrationNamespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", calibrationNamespace, err)
	}
	// One object through every step first, so that one-time costs (the
	// first request for a CRD's kind, the REST mapping, connection setup)
	// are not timed.
	if _, err := calibrationRound(ctx, c, when, 0, 1, 1); err != nil {
		return nil, fmt.Errorf("calibrating (warm-up): %w", err)
	}
	var rounds []CalibrationRound
	for i, w := range writers {
		r, err := calibrationRound(ctx, c, when, i+1, k, w)
		if err != nil {
			return rounds, fmt.Errorf("calibrating with %d writers: %w", w, err)
		}
		rounds = append(rounds, r)
	}
	return rounds, nil
}

// add records rounds and picks the fastest of all rounds so far, for a
// first rollout and for an update.
func (cal *Calibration) add(rounds ...CalibrationRound) {
	cal.Rounds = append(cal.Rounds, rounds...)
	first := bestRound(cal.Rounds, func(r CalibrationRound) float64 { return r.WritesPerSecond })
	cal.Writers, cal.WritesPerSecond = first.Writers, first.WritesPerSecond
	update := bestRound(cal.Rounds, func(r CalibrationRound) float64 { return r.Update.WritesPerSecond })
	cal.UpdateWriters, cal.UpdateWritesPerSecond = update.Writers, update.Update.WritesPerSecond
}

// bestRound returns the round with the highest rate, the first of equals;
// the zero round for none.
func bestRound(rounds []CalibrationRound, rate func(CalibrationRound) float64) CalibrationRound {
	var best CalibrationRound
	for _, r := range rounds {
		if rate(r) > rate(best) {
			best = r
		}
	}
	return best
}

// calibrationRound creates k Scheduled bindings and k Works (untimed),
// times the four writes of a cluster update on each with writers concurrent
// writers twice (a first rollout to snapshot 1, then an update back to
// snapshot 0's content as snapshot 2), and deletes the objects again. round
// keeps the names of every round apart.
func calibrationRound(ctx context.Context, c client.Client, when string, round, k, writers int) (CalibrationRound, error) {
	r := CalibrationRound{When: when, Writers: writers}
	oldManifests, err := sampleManifests(configValue("initial"))
	if err != nil {
		return r, err
	}
	newManifests, err := sampleManifests(configValue("update"))
	if err != nil {
		return r, err
	}
	bindings := make([]*placementv1beta1.ClusterResourceBinding, k)
	works := make([]*placementv1beta1.Work, k)
	if _, err := parallel(k, writers, func(i int) error {
		bindings[i] = calibrationBinding(roundID(when, round), i)
		if err := c.Create(ctx, bindings[i]); err != nil {
			return fmt.Errorf("creating ClusterResourceBinding %s: %w", bindings[i].Name, err)
		}
		works[i] = calibrationWork(roundID(when, round), i, bindings[i].Name, oldManifests)
		if err := c.Create(ctx, works[i]); err != nil {
			return fmt.Errorf("creating Work %s/%s: %w", works[i].Namespace, works[i].Name, err)
		}
		return nil
	}); err != nil {
		return r, errors.Join(err, deleteCalibrationObjects(ctx, c))
	}
	if r.CalibrationRollout, err = calibrationRollout(ctx, c, bindings, works, writers, 1, newManifests); err != nil {
		return r, errors.Join(err, deleteCalibrationObjects(ctx, c))
	}
	if r.Update, err = calibrationRollout(ctx, c, bindings, works, writers, 2, oldManifests); err != nil {
		return r, errors.Join(err, deleteCalibrationObjects(ctx, c))
	}
	return r, deleteCalibrationObjects(ctx, c)
}

// roundID keeps the object names of the rounds before and after the phases
// apart.
func roundID(when string, round int) int {
	if when == "after" {
		return 1000 + round
	}
	return round
}

// calibrationRollout times the four writes of moving every binding and its
// Work to resource snapshot index with manifests.
func calibrationRollout(ctx context.Context, c client.Client, bindings []*placementv1beta1.ClusterResourceBinding, works []*placementv1beta1.Work,
	writers, index int, manifests []placementv1beta1.Manifest) (CalibrationRollout, error) {
	var r CalibrationRollout
	snapshot := fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, calibrationPlacement, index)
	steps := []struct {
		rate *float64
		op   func(i int) error
	}{
		{&r.BindingSpec, func(i int) error {
			b := bindings[i]
			b.Spec.State = placementv1beta1.BindingStateBound
			b.Spec.ResourceSnapshotName = snapshot
			b.Spec.ApplyStrategy = runApplyStrategy()
			metav1.SetMetaDataAnnotation(&b.ObjectMeta, placementv1beta1.BindingUpdateRunAnnotation, runName(calibrationPlacement, index+1))
			return c.Update(ctx, b)
		}},
		{&r.WorkUpdate, func(i int) error {
			w := works[i]
			w.Labels[placementv1beta1.ParentResourceSnapshotIndexLabel] = strconv.Itoa(index)
			w.Annotations[placementv1beta1.ParentResourceSnapshotNameAnnotation] = snapshot
			w.Spec.Workload.Manifests = manifests
			return c.Update(ctx, w)
		}},
		{&r.WorkStatus, func(i int) error {
			works[i].Status = workapplier.AppliedStatus(works[i], c.RESTMapper(), nil, metav1.Now())
			return c.Status().Update(ctx, works[i])
		}},
		{&r.BindingStatus, func(i int) error {
			setRolloutDone(bindings[i], index)
			return c.Status().Update(ctx, bindings[i])
		}},
	}
	k := len(bindings)
	var elapsed time.Duration
	for _, s := range steps {
		d, err := parallel(k, writers, s.op)
		if err != nil {
			return r, err
		}
		*s.rate = float64(k) / d.Seconds()
		elapsed += d
	}
	r.WritesPerSecond = float64(len(steps)*k) / elapsed.Seconds()
	return r, nil
}

// calibrationBinding is the i-th binding of a round, as the scheduler
// creates it for a PickAll placement, without finalizers so that it goes
// at once when deleted.
func calibrationBinding(round, i int) *placementv1beta1.ClusterResourceBinding {
	cluster := memberName(i)
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			// <placement>-<cluster>-<8 characters>, as the scheduler names it.
			Name:   fmt.Sprintf("%s-%s-%08x", calibrationPlacement, cluster, round),
			Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: calibrationPlacement},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        placementv1beta1.BindingStateScheduled,
			SchedulingPolicySnapshotName: fmt.Sprintf(placementv1beta1.PolicySnapshotNameFmt, calibrationPlacement, 0),
			TargetCluster:                cluster,
			ClusterDecision:              placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by scheduling policy"},
		},
	}
}

// calibrationWork is the i-th Work of a round, as the work generator writes
// it for binding from resource snapshot 0.
func calibrationWork(round, i int, binding string, manifests []placementv1beta1.Manifest) *placementv1beta1.Work {
	return &placementv1beta1.Work{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: calibrationNamespace,
			// <placement>-work, as the work generator names it, made unique
			// within the one namespace.
			Name: fmt.Sprintf(placementv1beta1.FirstWorkNameFmt, fmt.Sprintf("r%d-%s", round, namespaceName(i))),
			Labels: map[string]string{
				placementv1beta1.ParentBindingLabel:               binding,
				placementv1beta1.PlacementTrackingLabel:           calibrationPlacement,
				placementv1beta1.ParentResourceSnapshotIndexLabel: "0",
			},
			Annotations: map[string]string{
				placementv1beta1.ParentResourceSnapshotNameAnnotation: fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, calibrationPlacement, 0),
			},
		},
		Spec: placementv1beta1.WorkSpec{
			Workload:      placementv1beta1.WorkloadTemplate{Manifests: manifests},
			ApplyStrategy: runApplyStrategy(),
		},
	}
}

// runApplyStrategy is the apply strategy an update run of a scenario
// placement (which sets none) copies into the bindings: the defaults.
func runApplyStrategy() *placementv1beta1.ApplyStrategy {
	return &placementv1beta1.ApplyStrategy{
		Type:             placementv1beta1.ApplyStrategyTypeClientSideApply,
		ComparisonOption: placementv1beta1.ComparisonOptionTypePartialComparison,
		WhenToApply:      placementv1beta1.WhenToApplyTypeAlways,
		WhenToTakeOver:   placementv1beta1.WhenToTakeOverTypeAlways,
	}
}

// setRolloutDone sets the conditions a binding has once its cluster's
// rollout to resource snapshot index is done: the update run's
// RolloutStarted and the work generator's Overridden, WorkSynchronized,
// Applied and Available, all True at the binding's generation.
func setRolloutDone(b *placementv1beta1.ClusterResourceBinding, index int) {
	for _, c := range []struct {
		t       placementv1beta1.ResourceBindingConditionType
		reason  string
		message string
	}{
		{placementv1beta1.ResourceBindingRolloutStarted, placementv1beta1.BindingRolloutStartedReason,
			fmt.Sprintf(rolloutStartedMessage, strconv.Itoa(index), runName(calibrationPlacement, index+1))},
		{placementv1beta1.ResourceBindingOverridden, placementv1beta1.BindingOverrideNotSpecifiedReason, noOverrideMessage},
		{placementv1beta1.ResourceBindingWorkSynchronized, placementv1beta1.BindingAllWorkSyncedReason, allSyncedMessage},
		{placementv1beta1.ResourceBindingApplied, placementv1beta1.BindingAllWorkAppliedReason, allAppliedMessage},
		{placementv1beta1.ResourceBindingAvailable, placementv1beta1.BindingAllWorkAvailableReason, allAvailableMessage},
	} {
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
			Type: string(c.t), Status: metav1.ConditionTrue, Reason: c.reason, Message: c.message, ObservedGeneration: b.Generation,
		})
	}
}

// deleteCalibrationObjects deletes the calibration's bindings and Works and
// waits until they are gone (they carry no finalizers).
func deleteCalibrationObjects(ctx context.Context, c client.Client) error {
	parent := client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: calibrationPlacement}
	if err := c.DeleteAllOf(ctx, &placementv1beta1.ClusterResourceBinding{}, parent); err != nil {
		return fmt.Errorf("deleting the calibration's ClusterResourceBindings: %w", err)
	}
	if err := c.DeleteAllOf(ctx, &placementv1beta1.Work{}, client.InNamespace(calibrationNamespace), parent); err != nil {
		return fmt.Errorf("deleting the calibration's Works: %w", err)
	}
	deadline := time.Now().Add(calibrationCleanupTimeout)
	for {
		bindings := &placementv1beta1.ClusterResourceBindingList{}
		if err := c.List(ctx, bindings, parent); err != nil {
			return fmt.Errorf("listing the calibration's ClusterResourceBindings: %w", err)
		}
		works := &placementv1beta1.WorkList{}
		if err := c.List(ctx, works, client.InNamespace(calibrationNamespace), parent); err != nil {
			return fmt.Errorf("listing the calibration's Works: %w", err)
		}
		if len(bindings.Items) == 0 && len(works.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d calibration ClusterResourceBindings and %d Works are still there after %s",
				len(bindings.Items), len(works.Items), calibrationCleanupTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// parseWriters parses "4,16" into writer counts, each at least 1.
func parseWriters(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("writer count %q: want a positive number", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no writer counts in %q", s)
	}
	return out, nil
}

// parallel runs op(0..k-1) on writers goroutines and returns how long it took.
func parallel(k, writers int, op func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= k {
					return
				}
				if err := op(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// sampleManifests are the manifests of a scenario Work whose ConfigMap holds
// value: the namespace and its ConfigMap, as the work generator embeds them.
func sampleManifests(value string) ([]placementv1beta1.Manifest, error) {
	objs := []runtime.Object{
		// The namespace as the API server stores it: with its name label
		// and the kubernetes finalizer.
		&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: namespaceName(0), Labels: map[string]string{corev1.LabelMetadataName: namespaceName(0)}},
			Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		},
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Namespace: namespaceName(0), Name: configMapName},
			Data:       map[string]string{configMapKey: value},
		},
	}
	var out []placementv1beta1.Manifest
	for _, o := range objs {
		raw, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		out = append(out, placementv1beta1.Manifest{RawExtension: runtime.RawExtension{Raw: raw}})
	}
	return out, nil
}
