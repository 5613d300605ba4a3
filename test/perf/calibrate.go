package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	workapplier "github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
)

// calibrationNamespace holds the calibration's objects. It is not a member
// namespace, so neither the hub agent nor the simulated applier touch them.
const calibrationNamespace = "perf-calibration"

// Calibration is the hub API server's write throughput on this machine, with
// the objects of the scenario.
type Calibration struct {
	Objects int `json:"objects"`
	Writers int `json:"writers"`
	// Per operation, writes per second.
	ConfigMapCreate  float64 `json:"configMapCreatePerSecond"`
	ConfigMapUpdate  float64 `json:"configMapUpdatePerSecond"`
	WorkCreate       float64 `json:"workCreatePerSecond"`
	WorkStatusUpdate float64 `json:"workStatusUpdatePerSecond"`
	// WritesPerSecond is all calibration writes over their total time: the
	// rate the bound is computed with.
	WritesPerSecond float64 `json:"writesPerSecond"`
}

// calibrate creates and updates k ConfigMaps of the scenario's size, then
// creates k Works carrying the scenario's manifests and writes their status
// as the applier does, each with writers concurrent writers. It runs before
// the hub agent starts, so it measures the API server alone.
func calibrate(ctx context.Context, c client.Client, k, writers int) (Calibration, error) {
	cal := Calibration{Objects: k, Writers: writers}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: calibrationNamespace}}); err != nil {
		return cal, fmt.Errorf("creating namespace %s: %w", calibrationNamespace, err)
	}
	cms := make([]*corev1.ConfigMap, k)
	works := make([]*placementv1beta1.Work, k)
	manifests, err := sampleManifests()
	if err != nil {
		return cal, err
	}
	// One object of each kind first, so that one-time costs (the first
	// request for a CRD's kind, connection setup) are not timed.
	warm := []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: calibrationNamespace, Name: "warm-up"}},
		&placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: calibrationNamespace, Name: "warm-up"},
			Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: manifests}}},
	}
	for _, o := range warm {
		if err := c.Create(ctx, o); err != nil {
			return cal, fmt.Errorf("calibrating: %w", err)
		}
	}
	var elapsed time.Duration
	steps := []struct {
		rate *float64
		op   func(i int) error
	}{
		{&cal.ConfigMapCreate, func(i int) error {
			cms[i] = &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: calibrationNamespace, Name: fmt.Sprintf("cm-%05d", i)},
				Data:       map[string]string{configMapKey: configValue("initial")},
			}
			return c.Create(ctx, cms[i])
		}},
		{&cal.ConfigMapUpdate, func(i int) error {
			cms[i].Data[configMapKey] = configValue("update")
			return c.Update(ctx, cms[i])
		}},
		{&cal.WorkCreate, func(i int) error {
			works[i] = &placementv1beta1.Work{
				ObjectMeta: metav1.ObjectMeta{Namespace: calibrationNamespace, Name: fmt.Sprintf("work-%05d", i)},
				Spec:       placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: manifests}},
			}
			return c.Create(ctx, works[i])
		}},
		{&cal.WorkStatusUpdate, func(i int) error {
			works[i].Status = workapplier.AppliedStatus(works[i], c.RESTMapper(), nil, metav1.Now())
			return c.Status().Update(ctx, works[i])
		}},
	}
	for _, s := range steps {
		d, err := parallel(k, writers, s.op)
		if err != nil {
			return cal, fmt.Errorf("calibrating: %w", err)
		}
		*s.rate = float64(k) / d.Seconds()
		elapsed += d
	}
	cal.WritesPerSecond = float64(len(steps)*k) / elapsed.Seconds()
	return cal, nil
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

// sampleManifests are the manifests of a scenario Work: the namespace and its
// ConfigMap, as the work generator embeds them.
func sampleManifests() ([]placementv1beta1.Manifest, error) {
	objs := []runtime.Object{
		&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: namespaceName(0)}},
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Namespace: namespaceName(0), Name: configMapName},
			Data:       map[string]string{configMapKey: configValue("initial")},
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
