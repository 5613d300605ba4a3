package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// audit follows the watch streams of the hub (approval requests, update
// runs, bindings) and of every member (namespaces, config maps) for the
// objects of one spec, named with its prefix. A RetryWatcher resumes each
// stream from the last resourceVersion it saw, across API server restarts,
// so the audit sees every change; a gap it cannot close is an error.
type audit struct {
	prefix string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	errs []error
	// relists counts the lists the audit made after a watch expired.
	relists int
	// approvalAdds counts each approval request's creations, approvalUIDs
	// the UIDs it had, approvalDeletes its deletions.
	approvalAdds    map[string]int
	approvalUIDs    map[string]sets.Set[string]
	approvalDeletes map[string]int
	// waitStarts are the distinct start times a TimedWait ("<run>/<stage>")
	// reported, waitEnds when it reported its wait elapsed.
	waitStarts map[string]sets.Set[time.Time]
	waitEnds   map[string]time.Time
	// bindingHistory lists each binding's spec changes as seen.
	bindingHistory map[string][]bindingSpec
	// memberDeletes are the spec's objects deleted on members, "<member>:
	// <kind> <name>".
	memberDeletes []string
}

// startAudit starts following the streams; objects that exist already
// arrive first. Stop it with stop.
func startAudit(prefix string) *audit {
	GinkgoHelper()
	actx, cancel := context.WithCancel(ctx)
	a := &audit{
		prefix: prefix, cancel: cancel,
		approvalAdds: map[string]int{}, approvalUIDs: map[string]sets.Set[string]{}, approvalDeletes: map[string]int{},
		waitStarts: map[string]sets.Set[time.Time]{}, waitEnds: map[string]time.Time{},
		bindingHistory: map[string][]bindingSpec{},
	}
	a.follow(actx, "hub", hub, &placementv1beta1.ClusterApprovalRequestList{}, a.approval)
	a.follow(actx, "hub", hub, &placementv1beta1.ClusterStagedUpdateRunList{}, a.run)
	a.follow(actx, "hub", hub, &placementv1beta1.ClusterResourceBindingList{}, a.binding)
	for name, c := range members {
		a.follow(actx, name, c, &corev1.NamespaceList{}, a.memberObject(name))
		a.follow(actx, name, c, &corev1.ConfigMapList{}, a.memberObject(name))
	}
	return a
}

// stop ends the audit and fails the spec if a stream broke.
func (a *audit) stop() {
	GinkgoHelper()
	a.cancel()
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	Expect(a.errs).To(BeEmpty(), "the audit missed events")
}

// follow lists list's kind through c and then watches it from the list's
// resourceVersion, handing every object and event to handle in order. A
// RetryWatcher resumes the watch after a disconnection; when the API server
// no longer has the resourceVersion (a restarted API server's watch cache
// starts empty), it lists again and hands handle the difference: objects
// gone are Deleted, objects with a new UID are Deleted and Added again.
func (a *audit) follow(ctx context.Context, cluster string, c client.WithWatch, list client.ObjectList, handle func(watch.EventType, client.Object)) {
	GinkgoHelper()
	kind := fmt.Sprintf("%s %T", cluster, list)
	last := map[client.ObjectKey]client.Object{}
	rv, err := a.relist(ctx, c, list, last, handle)
	Expect(err).NotTo(HaveOccurred(), "listing %s", kind)

	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		return c.Watch(ctx, list.DeepCopyObject().(client.ObjectList), &client.ListOptions{Raw: &opts})
	}}
	a.wg.Go(func() {
		for ctx.Err() == nil {
			rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, lw)
			if err != nil {
				a.fail(fmt.Errorf("%s: %w", kind, err))
				return
			}
			var expired bool
			rv, expired = a.drain(ctx, rw, last, handle)
			rw.Stop()
			if !expired {
				continue
			}
			a.mu.Lock()
			a.relists++
			a.mu.Unlock()
			for ctx.Err() == nil {
				if rv, err = a.relist(ctx, c, list, last, handle); err == nil {
					break
				}
				time.Sleep(time.Second)
			}
		}
	})
}

// drain hands the watch's events to handle until ctx ends or the
// resourceVersion expires, and returns the last resourceVersion seen.
func (a *audit) drain(ctx context.Context, rw *watchtools.RetryWatcher, last map[client.ObjectKey]client.Object, handle func(watch.EventType, client.Object)) (string, bool) {
	rv := ""
	for {
		select {
		case <-ctx.Done():
			return rv, false
		case ev, ok := <-rw.ResultChan():
			if !ok {
				return rv, false
			}
			if ev.Type == watch.Error {
				return rv, apierrors.IsResourceExpired(apierrors.FromObject(ev.Object)) || apierrors.IsGone(apierrors.FromObject(ev.Object))
			}
			obj := ev.Object.(client.Object)
			rv = obj.GetResourceVersion()
			if ev.Type == watch.Bookmark {
				continue
			}
			a.mu.Lock()
			if ev.Type == watch.Deleted {
				delete(last, client.ObjectKeyFromObject(obj))
			} else {
				last[client.ObjectKeyFromObject(obj)] = obj
			}
			handle(ev.Type, obj)
			a.mu.Unlock()
		}
	}
}

// relist lists list's kind and hands handle what changed since last: the
// objects gone or replaced (a new UID) as Deleted, the others as Added or
// Modified. It returns the list's resourceVersion.
func (a *audit) relist(ctx context.Context, c client.WithWatch, list client.ObjectList, last map[client.ObjectKey]client.Object, handle func(watch.EventType, client.Object)) (string, error) {
	fresh := list.DeepCopyObject().(client.ObjectList)
	if err := c.List(ctx, fresh); err != nil {
		return "", err
	}
	items, err := meta.ExtractList(fresh)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[client.ObjectKey]bool{}
	for _, item := range items {
		obj := item.(client.Object)
		key := client.ObjectKeyFromObject(obj)
		seen[key] = true
		old, ok := last[key]
		switch {
		case !ok:
			handle(watch.Added, obj)
		case old.GetUID() != obj.GetUID():
			handle(watch.Deleted, old)
			handle(watch.Added, obj)
		default:
			handle(watch.Modified, obj)
		}
		last[key] = obj
	}
	for key, old := range last {
		if !seen[key] {
			handle(watch.Deleted, old)
			delete(last, key)
		}
	}
	return fresh.GetResourceVersion(), nil
}

func (a *audit) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, err)
}

// approval records the creations, UIDs and deletions of approval requests.
func (a *audit) approval(t watch.EventType, obj client.Object) {
	if !strings.HasPrefix(obj.GetName(), a.prefix) {
		return
	}
	name := obj.GetName()
	switch t {
	case watch.Added:
		a.approvalAdds[name]++
	case watch.Deleted:
		a.approvalDeletes[name]++
	}
	if a.approvalUIDs[name] == nil {
		a.approvalUIDs[name] = sets.New[string]()
	}
	a.approvalUIDs[name].Insert(string(obj.GetUID()))
}

// run records when each TimedWait of a run started and ended.
func (a *audit) run(_ watch.EventType, obj client.Object) {
	run := obj.(*placementv1beta1.ClusterStagedUpdateRun)
	if !strings.HasPrefix(run.Name, a.prefix) {
		return
	}
	for _, s := range run.Status.StagesStatus {
		for _, task := range s.AfterStageTaskStatus {
			if task.Type != placementv1beta1.StageTaskTypeTimedWait {
				continue
			}
			c := meta.FindStatusCondition(task.Conditions, string(placementv1beta1.StageTaskConditionWaitTimeElapsed))
			key := run.Name + "/" + s.StageName
			switch {
			case c == nil:
			case c.Status == metav1.ConditionFalse:
				if a.waitStarts[key] == nil {
					a.waitStarts[key] = sets.New[time.Time]()
				}
				a.waitStarts[key].Insert(c.LastTransitionTime.UTC())
			case c.Status == metav1.ConditionTrue:
				a.waitEnds[key] = c.LastTransitionTime.UTC()
			}
		}
	}
}

// bindingSpec is what the audit keeps of a binding's spec at a generation.
type bindingSpec struct {
	generation int64
	state      placementv1beta1.BindingState
	snapshot   string
	deleted    bool
}

func (b bindingSpec) String() string {
	if b.deleted {
		return "deleted"
	}
	return fmt.Sprintf("%d %s@%s", b.generation, b.state, b.snapshot)
}

// binding records each spec change of a binding of the spec's placements.
func (a *audit) binding(t watch.EventType, obj client.Object) {
	b := obj.(*placementv1beta1.ClusterResourceBinding)
	if !strings.HasPrefix(b.Labels[placementv1beta1.PlacementTrackingLabel], a.prefix) {
		return
	}
	entry := bindingSpec{generation: b.Generation, state: b.Spec.State, snapshot: b.Spec.ResourceSnapshotName, deleted: t == watch.Deleted}
	if h := a.bindingHistory[b.Name]; len(h) == 0 || h[len(h)-1] != entry {
		a.bindingHistory[b.Name] = append(h, entry)
	}
}

// moves counts the spec changes that moved a binding to snapshot.
func (a *audit) moves(binding, snapshot string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	previous := ""
	for _, e := range a.bindingHistory[binding] {
		if !e.deleted && e.snapshot == snapshot && previous != snapshot {
			n++
		}
		previous = e.snapshot
		if e.deleted {
			previous = ""
		}
	}
	return n
}

// memberObject records deletions of the spec's namespaces and config maps
// on a member.
func (a *audit) memberObject(member string) func(watch.EventType, client.Object) {
	return func(t watch.EventType, obj client.Object) {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = obj.GetName()
		}
		if t != watch.Deleted || !strings.HasPrefix(ns, a.prefix) {
			return
		}
		kind := "Namespace"
		if _, ok := obj.(*corev1.ConfigMap); ok {
			kind = "ConfigMap"
		}
		a.memberDeletes = append(a.memberDeletes, fmt.Sprintf("%s: %s %s", member, kind, client.ObjectKeyFromObject(obj)))
	}
}

// findings is what the audit found wrong, and what it counted.
type findings struct {
	// ApprovalRequests counts the requests; RequestedTwice those created
	// more than once or under several UIDs; Deleted those deleted.
	ApprovalRequests, ApprovalsRequestedTwice, ApprovalsDeleted int
	// TimedWaits counts the waits; TimedWaitsRestarted those whose start
	// changed; TimedWaitsShort those that ended before their wait time.
	TimedWaits, TimedWaitsRestarted, TimedWaitsShort int
	// MemberDeletes are the spec's objects deleted on members.
	MemberDeletes []string
	// Relists counts the lists the audit made after a watch expired.
	Relists  int
	problems []string
}

// findings checks what the audit saw; wait is the TimedWait's waitTime.
func (a *audit) findings(wait time.Duration) findings {
	a.mu.Lock()
	defer a.mu.Unlock()
	var f findings
	for _, name := range sortedKeys(a.approvalAdds) {
		f.ApprovalRequests++
		if a.approvalAdds[name] > 1 || a.approvalUIDs[name].Len() > 1 {
			f.ApprovalsRequestedTwice++
			f.problems = append(f.problems, fmt.Sprintf("approval request %s was created %d times (UIDs %v)", name, a.approvalAdds[name], sets.List(a.approvalUIDs[name])))
		}
		if a.approvalDeletes[name] > 0 {
			f.ApprovalsDeleted++
			f.problems = append(f.problems, fmt.Sprintf("approval request %s was deleted during the run", name))
		}
	}
	for _, key := range sortedKeys(a.waitStarts) {
		f.TimedWaits++
		starts := a.waitStarts[key]
		if starts.Len() > 1 {
			f.TimedWaitsRestarted++
			f.problems = append(f.problems, fmt.Sprintf("TimedWait %s started %d times: %v", key, starts.Len(), starts.UnsortedList()))
		}
		end, ok := a.waitEnds[key]
		// Condition times have a resolution of one second.
		if start := slices.MinFunc(starts.UnsortedList(), time.Time.Compare); ok && end.Sub(start) < wait-time.Second {
			f.TimedWaitsShort++
			f.problems = append(f.problems, fmt.Sprintf("TimedWait %s ended %s after it started, before its %s", key, end.Sub(start), wait))
		}
	}
	f.Relists = a.relists
	f.MemberDeletes = slices.Clone(a.memberDeletes)
	for _, d := range f.MemberDeletes {
		f.problems = append(f.problems, "deleted on a member: "+d)
	}
	return f
}

// history describes the spec changes of a binding, for failure messages.
func (a *audit) history(binding string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var steps []string
	for _, e := range a.bindingHistory[binding] {
		steps = append(steps, e.String())
	}
	return strings.Join(steps, " -> ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
