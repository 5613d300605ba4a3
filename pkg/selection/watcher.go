package selection

import (
	"context"
	"maps"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var (
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	crdsGVR       = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// watch is one running metadata informer.
type watch struct {
	resource Resource
	informer cache.SharedIndexInformer
	stop     context.CancelFunc
}

// Watcher runs a metadata-only informer for each kind some placement selects,
// started the first time a placement needs it, and turns every change into a
// reconcile request for the placements that select the changed object. It
// delays each request by the collection window, so a burst of changes to one
// placement's resources yields one reconcile and one new snapshot.
type Watcher struct {
	catalog    *Catalog
	metadata   metadata.Interface
	placements client.Reader
	window     time.Duration

	mu      sync.Mutex
	ctx     context.Context
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
	watches map[schema.GroupVersionResource]*watch
	// changes counts, per placement, the changes to objects it might
	// select; kindChanges counts changes of the served kinds, which concern
	// every placement. Together they tell whether a selection is current.
	changes     map[string]uint64
	kindChanges uint64
}

func newWatcher(catalog *Catalog, md metadata.Interface, placements client.Reader, window time.Duration) *Watcher {
	return &Watcher{
		catalog:    catalog,
		metadata:   md,
		placements: placements,
		window:     window,
		watches:    map[schema.GroupVersionResource]*watch{},
		changes:    map[string]uint64{},
	}
}

// source is what the placement controller watches: it starts with the
// controller (so only on the leader) and watches CRDs, whose changes bring
// new kinds or take kinds away.
func (w *Watcher) source() source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		w.mu.Lock()
		w.ctx, w.queue = ctx, q
		w.mu.Unlock()
		w.start(Resource{GVR: crdsGVR}, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.kindsChanged() },
			UpdateFunc: func(any, any) { w.kindsChanged() },
			DeleteFunc: func(obj any) { w.kindRemoved(obj) },
		})
		return nil
	})
}

// Watch makes sure changes to objects of every resource in rs reach the
// placements that select them.
func (w *Watcher) Watch(rs ...Resource) {
	for _, r := range rs {
		w.start(r, w.handler(r))
	}
}

func (w *Watcher) start(r Resource, handler cache.ResourceEventHandler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.watches[r.GVR]; ok || w.ctx == nil {
		return
	}
	informer := metadatainformer.NewFilteredMetadataInformer(w.metadata, r.GVR, metav1.NamespaceAll, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}, nil).Informer()
	// Managed fields are most of an object's metadata and say nothing the
	// watcher needs.
	if err := informer.SetTransform(dropManagedFields); err != nil {
		ctrl.LoggerFrom(w.ctx).Error(err, "Cannot trim cached metadata", "resource", r.GVR.String())
	}
	if _, err := informer.AddEventHandler(handler); err != nil {
		ctrl.LoggerFrom(w.ctx).Error(err, "Cannot watch resource", "resource", r.GVR.String())
		return
	}
	ctx, stop := context.WithCancel(w.ctx)
	w.watches[r.GVR] = &watch{resource: r, informer: informer, stop: stop}
	go informer.RunWithContext(ctx)
	ctrl.LoggerFrom(w.ctx).V(1).Info("Watching resource for placements", "resource", r.GVR.String())
}

func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// hasNoObjectsIn reports whether gvr is known, from a synced cache, to have
// no objects in namespace, so that listing it there can be skipped.
func (w *Watcher) hasNoObjectsIn(gvr schema.GroupVersionResource, namespace string) bool {
	w.mu.Lock()
	wt := w.watches[gvr]
	w.mu.Unlock()
	if wt == nil || !wt.informer.HasSynced() {
		return false
	}
	objs, err := wt.informer.GetIndexer().ByIndex(cache.NamespaceIndex, namespace)
	return err == nil && len(objs) == 0
}

func (w *Watcher) handler(r Resource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { w.changed(r, obj) },
		UpdateFunc: func(oldObj, newObj any) {
			if !statusOnly(oldObj, newObj) {
				w.changed(r, newObj)
			}
		},
		DeleteFunc: func(obj any) { w.changed(r, obj) },
	}
}

// statusOnly reports whether an update touched nothing a snapshot holds:
// the generation (which tracks spec changes) and the metadata a snapshot
// keeps are unchanged. Objects without a generation always count as changed.
func statusOnly(oldObj, newObj any) bool {
	o, err1 := meta.Accessor(oldObj)
	n, err2 := meta.Accessor(newObj)
	if err1 != nil || err2 != nil || n.GetGeneration() == 0 {
		return false
	}
	return o.GetGeneration() == n.GetGeneration() &&
		maps.Equal(o.GetLabels(), n.GetLabels()) &&
		maps.Equal(o.GetAnnotations(), n.GetAnnotations()) &&
		o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp())
}

// changed enqueues, after the collection window, every placement that
// selects obj.
func (w *Watcher) changed(r Resource, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	w.mu.Lock()
	ctx, q := w.ctx, w.queue
	w.mu.Unlock()
	crps, err := w.candidates(ctx, r, m)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot list placements to notify of a resource change", "resource", r.GVR.String())
		return
	}
	var nsLabels labels.Set
	if m.GetNamespace() != "" {
		nsLabels = w.namespaceLabels(m.GetNamespace())
	}
	for _, crp := range crps {
		if mightSelect(crp, r, m, nsLabels) {
			w.mu.Lock()
			w.changes[crp.Name]++
			w.mu.Unlock()
			q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(crp)}, w.window)
		}
	}
}

// namespaceLabels returns the labels of a namespace from the namespace
// cache, or nil when they are not known.
func (w *Watcher) namespaceLabels(name string) labels.Set {
	w.mu.Lock()
	wt := w.watches[namespacesGVR]
	w.mu.Unlock()
	if wt == nil {
		return nil
	}
	obj, ok, err := wt.informer.GetIndexer().GetByKey(name)
	if err != nil || !ok {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return m.GetLabels()
}

// kindsChanged refreshes discovery and lets every placement resolve its
// selectors again: a kind may have appeared, changed versions or gone.
func (w *Watcher) kindsChanged() {
	w.catalog.Invalidate()
	w.mu.Lock()
	w.kindChanges++
	ctx, q := w.ctx, w.queue
	w.mu.Unlock()
	crps := &placementv1beta1.ClusterResourcePlacementList{}
	if err := w.placements.List(ctx, crps, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot list placements to notify of a kind change")
		return
	}
	for i := range crps.Items {
		q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&crps.Items[i])}, w.window)
	}
}

// kindRemoved stops the informers of a deleted CRD's kind, which would
// otherwise retry listing it forever.
func (w *Watcher) kindRemoved(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if m, err := meta.Accessor(obj); err == nil {
		gr := schema.ParseGroupResource(m.GetName()) // a CRD is named <plural>.<group>
		w.mu.Lock()
		for gvr, wt := range w.watches {
			if gvr.GroupResource() == gr {
				wt.stop()
				delete(w.watches, gvr)
			}
		}
		w.mu.Unlock()
	}
	w.kindsChanged()
}

// Freshness is what a placement's selection was taken after: the changes to
// the objects it might select and to the served kinds seen until then.
type Freshness struct {
	changes, kindChanges uint64
}

// freshness returns the changes seen so far for placement name.
func (w *Watcher) freshness(name string) Freshness {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Freshness{changes: w.changes[name], kindChanges: w.kindChanges}
}

// forget drops the change count of a deleted placement.
func (w *Watcher) forget(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.changes, name)
}
