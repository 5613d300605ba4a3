package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// strategyName names the staged update strategy of every run.
const strategyName = "perf"

// configMapName and configMapKey name the ConfigMap in each placed namespace.
const (
	configMapName = "cfg"
	configMapKey  = "v"
)

// configMapBytes is the size of the ConfigMap's value: a few hundred bytes,
// like a small application setting.
const configMapBytes = 300

// progressEvery is how often a wait prints its progress (and re-checks, in
// case an event was missed).
const progressEvery = 5 * time.Second

func namespaceName(i int) string { return fmt.Sprintf("perf-%04d", i) }
func placementName(i int) string { return namespaceName(i) }
func runName(crp string, n int) string {
	return fmt.Sprintf("%s-run-%d", crp, n)
}

// configValue is the ConfigMap value of a phase: configMapBytes long.
func configValue(phase string) string {
	v := phase + ":"
	return v + strings.Repeat("x", max(0, configMapBytes-len(v)))
}

// notifier wakes waiters when a watched object changes.
type notifier struct{ ch chan struct{} }

func newNotifier() *notifier { return &notifier{ch: make(chan struct{}, 1)} }

func (n *notifier) signal() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

// handler signals n on every event.
func (n *notifier) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { n.signal() },
		UpdateFunc: func(any, any) { n.signal() },
		DeleteFunc: func(any) { n.signal() },
	}
}

// checkSpacing keeps waitUntil's checks apart: a check reads the whole
// cache, and at a large size the events that trigger it never stop, so
// checking on each would take the CPU the hub needs.
const checkSpacing = 250 * time.Millisecond

// waitUntil re-checks done on changes until it holds, at most once per
// checkSpacing, printing its progress every few seconds, until timeout.
func (n *notifier) waitUntil(ctx context.Context, what string, timeout time.Duration, done func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	start := time.Now()
	for {
		checked := time.Now()
		ok, progress := done()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (%s)", what, ctx.Err(), progress)
		case <-n.ch:
		case <-tick.C:
			logf("  waiting for %s (%s, %s)", what, progress, time.Since(start).Round(time.Second))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(checked.Add(checkSpacing))):
		}
	}
}

// createStrategy creates the three-stage strategy: stage=a, b, c, each
// updating half its clusters at a time, without stage tasks.
func createStrategy(ctx context.Context, c client.Client) error {
	half := intstr.FromString("50%")
	s := &placementv1beta1.ClusterStagedUpdateStrategy{ObjectMeta: metav1.ObjectMeta{Name: strategyName}}
	for _, stage := range []string{"a", "b", "c"} {
		s.Spec.Stages = append(s.Spec.Stages, placementv1beta1.StageConfig{
			Name:           stage,
			LabelSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{stageLabelKey: stage}},
			MaxConcurrency: &half,
		})
	}
	if err := c.Create(ctx, s); err != nil {
		return fmt.Errorf("creating ClusterStagedUpdateStrategy %s: %w", strategyName, err)
	}
	return nil
}

// createPlacements creates n namespaces, each with a ConfigMap, and an
// External PickAll placement of each namespace.
func createPlacements(ctx context.Context, c client.Client, n int) error {
	for i := range n {
		ns := namespaceName(i)
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: configMapName},
			Data:       map[string]string{configMapKey: configValue("initial")},
		}
		if err := c.Create(ctx, cm); err != nil {
			return fmt.Errorf("creating ConfigMap %s/%s: %w", ns, configMapName, err)
		}
		crp := &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: placementName(i)},
			Spec: placementv1beta1.PlacementSpec{
				ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: ns}},
				Policy:            &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType},
				Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
			},
		}
		if err := c.Create(ctx, crp); err != nil {
			return fmt.Errorf("creating ClusterResourcePlacement %s: %w", crp.Name, err)
		}
	}
	return nil
}

// updateConfigMaps gives every placed ConfigMap a new value.
func updateConfigMaps(ctx context.Context, c client.Client, n int, phase string) error {
	for i := range n {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespaceName(i), Name: configMapName}}
		patch := client.MergeFrom(cm.DeepCopy())
		cm.Data = map[string]string{configMapKey: configValue(phase)}
		if err := c.Patch(ctx, cm, patch); err != nil {
			return fmt.Errorf("updating ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
		}
	}
	return nil
}

// placementsReady reports whether every placement has resource snapshot
// index and, by bindings, bindings for all m clusters.
func placementsReady(ctx context.Context, r client.Reader, bindings *bindingCounter, n, m, index int) (bool, string) {
	// Snapshots are only looked up by name, so they are not copied out of
	// the cache.
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := r.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return false, err.Error()
	}
	names := make(map[string]bool, len(list.Items))
	for i := range list.Items {
		names[list.Items[i].Name] = true
	}
	snapshots, scheduled := 0, 0
	for i := range n {
		crp := placementName(i)
		if names[fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)] {
			snapshots++
		}
		// The scheduler keeps one binding per placement and cluster.
		if bindings.of(crp) == m {
			scheduled++
		}
	}
	return snapshots == n && scheduled == n,
		fmt.Sprintf("%d/%d placements at snapshot index %d, %d/%d with bindings for all %d clusters", snapshots, n, index, scheduled, n, m)
}

// bindingCounter counts each placement's bindings as the binding informer
// reports them. A check of a large fleet's setup would otherwise go through
// every binding (100 000 at 1000x100) several times a second, taking CPU
// from the hub on this machine.
type bindingCounter struct {
	mu sync.Mutex
	// placementOf is the placement of each binding, by binding name.
	placementOf map[string]string
	counts      map[string]int
}

func newBindingCounter() *bindingCounter {
	return &bindingCounter{placementOf: map[string]string{}, counts: map[string]int{}}
}

// of returns how many bindings placement has.
func (b *bindingCounter) of(placement string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts[placement]
}

func (b *bindingCounter) set(obj any) {
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	crp := o.GetLabels()[placementv1beta1.PlacementTrackingLabel]
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.placementOf[o.GetName()]; ok {
		if old == crp {
			return
		}
		b.counts[old]--
	}
	b.placementOf[o.GetName()] = crp
	b.counts[crp]++
}

func (b *bindingCounter) remove(obj any) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.placementOf[o.GetName()]; ok {
		b.counts[old]--
		delete(b.placementOf, o.GetName())
	}
}

// handler counts the informer's bindings and signals changed after each
// change.
func (b *bindingCounter) handler(changed *notifier) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { b.set(obj); changed.signal() },
		UpdateFunc: func(_, obj any) { b.set(obj); changed.signal() },
		DeleteFunc: func(obj any) { b.remove(obj); changed.signal() },
	}
}

// placementsSettled reports whether every placement's status shows resource
// index rolled out and available on all m clusters.
func placementsSettled(ctx context.Context, r client.Reader, n, m, index int) (bool, string) {
	settled := 0
	for i := range n {
		crp := &placementv1beta1.ClusterResourcePlacement{}
		if err := r.Get(ctx, client.ObjectKey{Name: placementName(i)}, crp); err != nil {
			continue
		}
		available := crp.GetCondition(string(placementv1beta1.ClusterResourcePlacementAvailable))
		if crp.Status.ObservedResourceIndex == strconv.Itoa(index) && len(crp.Status.PerClusterPlacementStatuses) == m &&
			available != nil && available.Status == metav1.ConditionTrue && available.ObservedGeneration == crp.Generation {
			settled++
		}
	}
	return settled == n, fmt.Sprintf("%d/%d placements available at snapshot index %d", settled, n, index)
}

// runRecord is what the harness saw of one update run.
type runRecord struct {
	created  time.Time
	finished time.Time // when the informer saw Succeeded set
	// transition is the Succeeded condition's lastTransitionTime.
	transition time.Time
	succeeded  bool
	reason     string
	done       chan struct{}
}

// runTracker records, from the update run informer, when each run's
// Succeeded condition was set.
type runTracker struct {
	mu   sync.Mutex
	runs map[string]*runRecord
}

func newRunTracker() *runTracker { return &runTracker{runs: map[string]*runRecord{}} }

func (t *runTracker) handler() toolscache.ResourceEventHandler {
	observe := func(obj any) {
		run, ok := obj.(*placementv1beta1.ClusterStagedUpdateRun)
		if !ok {
			return
		}
		c := meta.FindStatusCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded))
		if c == nil || c.Status == metav1.ConditionUnknown {
			return
		}
		now := time.Now()
		t.mu.Lock()
		defer t.mu.Unlock()
		rec := t.runs[run.Name]
		if rec == nil || !rec.finished.IsZero() {
			return
		}
		rec.finished, rec.transition = now, c.LastTransitionTime.Time
		rec.succeeded, rec.reason = c.Status == metav1.ConditionTrue, c.Reason
		close(rec.done)
	}
	return toolscache.ResourceEventHandlerFuncs{AddFunc: observe, UpdateFunc: func(_, obj any) { observe(obj) }}
}

// register starts tracking a run about to be created.
func (t *runTracker) register(name string) *runRecord {
	rec := &runRecord{created: time.Now(), done: make(chan struct{})}
	t.mu.Lock()
	t.runs[name] = rec
	t.mu.Unlock()
	return rec
}

// result returns a copy of a run's record.
func (t *runTracker) result(name string) runRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	return *t.runs[name]
}

// startRuns creates a run of every placement at index, at most limit
// unfinished at once, and waits until they have all finished or timeout.
// It returns the names of the runs in creation order.
func startRuns(ctx context.Context, c client.Client, tracker *runTracker, n, seq, index, limit int, timeout time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	slots := make(chan struct{}, limit)
	var names []string
	var wg sync.WaitGroup
	var createErr error
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		crp := placementName(i)
		name := runName(crp, seq)
		run := &placementv1beta1.ClusterStagedUpdateRun{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: placementv1beta1.UpdateRunSpec{
				PlacementName:            crp,
				ResourceSnapshotIndex:    strconv.Itoa(index),
				StagedUpdateStrategyName: strategyName,
			},
		}
		rec := tracker.register(name)
		if err := c.Create(ctx, run); err != nil {
			createErr = fmt.Errorf("creating ClusterStagedUpdateRun %s: %w", name, err)
			break
		}
		names = append(names, name)
		wg.Go(func() {
			select {
			case <-rec.done:
			case <-ctx.Done():
			}
			<-slots
		})
	}
	wg.Wait()
	if createErr != nil {
		return names, createErr
	}
	if len(names) < n || ctx.Err() != nil {
		return names, fmt.Errorf("runs did not finish within %s", timeout)
	}
	return names, nil
}

// unfinishedRuns describes the runs that did not finish: their latest
// conditions, from the cache.
func unfinishedRuns(ctx context.Context, r client.Reader, tracker *runTracker, names []string) []string {
	var out []string
	for _, name := range names {
		if !tracker.result(name).finished.IsZero() {
			continue
		}
		run := &placementv1beta1.ClusterStagedUpdateRun{}
		if err := r.Get(ctx, client.ObjectKey{Name: name}, run); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		var conds []string
		for _, c := range run.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s/%s %q", c.Type, c.Status, c.Reason, c.Message))
		}
		sort.Strings(conds)
		out = append(out, fmt.Sprintf("%s: %s", name, strings.Join(conds, "; ")))
	}
	return out
}

// watchScenario registers the informers the scenario waits on and returns
// the notifier they signal and the count of bindings.
func watchScenario(ctx context.Context, c cache.Cache, tracker *runTracker) (*notifier, *bindingCounter, error) {
	n := newNotifier()
	bindings := newBindingCounter()
	// Bindings are only counted, so the harness watches their metadata: a
	// rollout writes each binding twice per cluster update, and decoding
	// whole bindings took CPU from the hub on this machine.
	for _, obj := range []client.Object{
		&clusterv1beta1.MemberCluster{}, &placementv1beta1.ClusterResourceSnapshot{}, bindingMetadata(),
		&placementv1beta1.ClusterResourcePlacement{},
	} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, nil, fmt.Errorf("getting the %T informer: %w", obj, err)
		}
		handler := n.handler()
		if _, ok := obj.(*metav1.PartialObjectMetadata); ok {
			// The counter signals n once it has counted the change.
			handler = bindings.handler(n)
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, nil, err
		}
	}
	inf, err := c.GetInformer(ctx, &placementv1beta1.ClusterStagedUpdateRun{})
	if err != nil {
		return nil, nil, fmt.Errorf("getting the ClusterStagedUpdateRun informer: %w", err)
	}
	if _, err := inf.AddEventHandler(tracker.handler()); err != nil {
		return nil, nil, err
	}
	return n, bindings, nil
}

// bindingMetadata is the metadata of a ClusterResourceBinding, the form in
// which the harness watches bindings.
func bindingMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(placementv1beta1.GroupVersion.WithKind("ClusterResourceBinding"))
	return m
}
