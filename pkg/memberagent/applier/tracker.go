package applier

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// objectKey names an object on the member cluster, whatever API version it is
// read in.
type objectKey struct {
	resource  schema.GroupResource
	namespace string
	name      string
}

func keyOf(gr schema.GroupResource, namespace, name string) objectKey {
	return objectKey{resource: gr, namespace: namespace, name: name}
}

// Tracker keeps an index from the objects each Work's manifests describe to
// the Work, and runs a metadata-only informer on the member cluster for every
// resource some Work uses. A change to an indexed object (an edit, a status
// update, a deletion, or its creation by someone else) enqueues the Works
// that describe it, so drift, availability, takeover and diff results follow
// the member cluster without polling. The index is in memory: after a restart
// every Work is reconciled once and fills it again. Informers start the first
// time a Work uses a resource and stop when no Work uses it any more.
type Tracker struct {
	metadata  metadata.Interface
	namespace string

	mu        sync.Mutex
	ctx       context.Context
	queue     workqueue.TypedRateLimitingInterface[reconcile.Request]
	byObject  map[objectKey]sets.Set[string]
	byWork    map[string]map[objectKey]schema.GroupVersionResource
	informers map[schema.GroupVersionResource]context.CancelFunc
}

// NewTracker returns a Tracker watching the member cluster through md and
// enqueueing Works of the hub namespace workNamespace.
func NewTracker(md metadata.Interface, workNamespace string) *Tracker {
	return &Tracker{
		metadata:  md,
		namespace: workNamespace,
		byObject:  map[objectKey]sets.Set[string]{},
		byWork:    map[string]map[objectKey]schema.GroupVersionResource{},
		informers: map[schema.GroupVersionResource]context.CancelFunc{},
	}
}

// Source is what the work applier watches; it starts with the controller
// (so only on the leader).
func (t *Tracker) Source() source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.ctx, t.queue = ctx, q
		t.syncInformersLocked()
		return nil
	})
}

// Track records the objects a Work's manifests describe, replacing what was
// recorded for it before.
func (t *Tracker) Track(work string, objects map[objectKey]schema.GroupVersionResource) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetLocked(work)
	if len(objects) > 0 {
		t.byWork[work] = objects
		for k := range objects {
			if t.byObject[k] == nil {
				t.byObject[k] = sets.New[string]()
			}
			t.byObject[k].Insert(work)
		}
	}
	t.syncInformersLocked()
}

// Forget drops what was recorded for a Work.
func (t *Tracker) Forget(work string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetLocked(work)
	t.syncInformersLocked()
}

func (t *Tracker) forgetLocked(work string) {
	for k := range t.byWork[work] {
		if s := t.byObject[k]; s != nil {
			s.Delete(work)
			if s.Len() == 0 {
				delete(t.byObject, k)
			}
		}
	}
	delete(t.byWork, work)
}

// syncInformersLocked starts an informer for every resource in use and
// stops those no Work uses any more.
func (t *Tracker) syncInformersLocked() {
	if t.ctx == nil {
		return
	}
	inUse := map[schema.GroupVersionResource]bool{}
	for _, objects := range t.byWork {
		for _, gvr := range objects {
			inUse[gvr] = true
		}
	}
	for gvr, stop := range t.informers {
		if !inUse[gvr] {
			stop()
			delete(t.informers, gvr)
			ctrl.LoggerFrom(t.ctx).V(1).Info("Stopped watching resource", "resource", gvr.String())
		}
	}
	for gvr := range inUse {
		if _, ok := t.informers[gvr]; ok {
			continue
		}
		informer := metadatainformer.NewFilteredMetadataInformer(t.metadata, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
		if err := informer.SetTransform(dropManagedFields); err != nil {
			ctrl.LoggerFrom(t.ctx).Error(err, "Cannot trim cached metadata", "resource", gvr.String())
		}
		gr := gvr.GroupResource()
		if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) { t.changed(gr, obj) },
			UpdateFunc: func(oldObj, newObj any) {
				if !sameVersion(oldObj, newObj) {
					t.changed(gr, newObj)
				}
			},
			DeleteFunc: func(obj any) { t.changed(gr, obj) },
		}); err != nil {
			ctrl.LoggerFrom(t.ctx).Error(err, "Cannot watch resource", "resource", gvr.String())
			continue
		}
		ctx, stop := context.WithCancel(t.ctx)
		t.informers[gvr] = stop
		go informer.RunWithContext(ctx)
		ctrl.LoggerFrom(t.ctx).V(1).Info("Watching resource for Works", "resource", gvr.String())
	}
}

// changed enqueues the Works that describe obj.
func (t *Tracker) changed(gr schema.GroupResource, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for work := range t.byObject[keyOf(gr, m.GetNamespace(), m.GetName())] {
		t.queue.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: t.namespace, Name: work}})
	}
}

// sameVersion tells resyncs apart from real changes.
func sameVersion(oldObj, newObj any) bool {
	o, err1 := meta.Accessor(oldObj)
	n, err2 := meta.Accessor(newObj)
	return err1 == nil && err2 == nil && o.GetResourceVersion() == n.GetResourceVersion()
}

func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
