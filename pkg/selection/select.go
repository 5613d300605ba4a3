package selection

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/source"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// InvalidSelectorError says why a placement's selectors cannot be resolved
// until the placement or the hub's kinds change. Its message is meant for
// the placement's status.
type InvalidSelectorError struct {
	Message string
}

func (e *InvalidSelectorError) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &InvalidSelectorError{Message: fmt.Sprintf(format, args...)}
}

// Selector resolves placements' resource selectors against the hub.
type Selector struct {
	catalog *Catalog
	dynamic dynamic.Interface
	watcher *Watcher
}

// New returns a Selector for the hub at cfg. placements is the manager's
// cache, which reads ClusterResourcePlacements and gets an index of what
// they select; window is how long a change waits for further changes
// before its placements reconcile.
func New(cfg *rest.Config, placements PlacementCache, window time.Duration) (*Selector, error) {
	if err := indexPlacements(context.Background(), placements); err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the dynamic client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the metadata client: %w", err)
	}
	catalog := NewCatalog(dc)
	return &Selector{catalog: catalog, dynamic: dyn, watcher: newWatcher(catalog, md, placements, window)}, nil
}

// Source is the event source that enqueues a placement when an object it
// selects (or might now select) changes.
func (s *Selector) Source() source.Source {
	return s.watcher.source()
}

// Freshness returns what a selection of placement name taken now is taken
// after. Take it before Select: a change that races with the selection then
// makes Current report false, and the placement selects again.
func (s *Selector) Freshness(name string) Freshness {
	return s.watcher.freshness(name)
}

// Current reports whether a selection of placement name taken at f still
// holds: no object the placement might select and no served kind changed
// since. Only changes the watcher has seen count, so a placement must select
// once (which starts the watches) before a Current selection can be reused.
func (s *Selector) Current(name string, f Freshness) bool {
	return s.watcher.freshness(name) == f
}

// Forget drops what the selector knows of a deleted placement.
func (s *Selector) Forget(name string) {
	s.watcher.forget(name)
}

// Select returns the hub objects crp selects, as stored on the hub, without
// duplicates. An *InvalidSelectorError means a selector cannot be resolved.
func (s *Selector) Select(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) ([]*unstructured.Unstructured, error) {
	selected := map[objectKey]*unstructured.Unstructured{}
	namespaces := map[string]placementv1beta1.SelectionScope{}
	var namespacedTerms []int

	for i := range crp.Spec.ResourceSelectors {
		t := &crp.Spec.ResourceSelectors[i]
		r, err := s.lookup(i, t)
		if err != nil {
			return nil, err
		}
		if r.Namespaced {
			namespacedTerms = append(namespacedTerms, i)
			continue
		}
		// A reserved namespace named outright is an error whether it exists
		// yet or not.
		if isNamespaces(r) && t.Name != "" {
			if why := resource.SkipNamespace(t.Name); why != "" {
				return nil, invalid("resourceSelectors[%d] selects %s %q, which is never placed: %s", i, r.GVK.Kind, t.Name, why)
			}
		}
		s.watcher.Watch(r)
		objs, err := s.fetch(ctx, r, metav1.NamespaceAll, i, t)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			if why := resource.SkipObject(r.GVR.GroupResource(), obj); why != "" {
				ctrl.LoggerFrom(ctx).V(2).Info("Leaving out a selected object", "kind", r.GVK.Kind, "name", obj.GetName(), "why", why)
				continue
			}
			selected[keyOf(r, obj)] = obj
			if isNamespaceTerm(t) {
				namespaces[obj.GetName()] = broader(namespaces[obj.GetName()], scopeOf(t))
			}
		}
	}

	if len(namespacedTerms) > 0 && !slices.Contains(slices.Collect(maps.Values(namespaces)), placementv1beta1.NamespaceWithResourceSelectors) {
		t := &crp.Spec.ResourceSelectors[namespacedTerms[0]]
		return nil, invalid("resourceSelectors[%d] selects %s, a namespaced kind: a ClusterResourcePlacement selects namespaced objects only inside a namespace picked with selectionScope NamespaceWithResourceSelectors; select the namespace instead, or add such a namespace selector", namespacedTerms[0], t.Kind)
	}

	var contents []Resource
	if slices.Contains(slices.Collect(maps.Values(namespaces)), placementv1beta1.NamespaceWithResources) {
		var err error
		if contents, err = s.catalog.NamespacedResources(); err != nil {
			return nil, err
		}
		s.watcher.Watch(contents...)
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		var objs []selectedObject
		var err error
		switch namespaces[ns] {
		case placementv1beta1.NamespaceWithResources:
			objs, err = s.namespaceContents(ctx, contents, ns)
		case placementv1beta1.NamespaceWithResourceSelectors:
			objs, err = s.selectInNamespace(ctx, crp, namespacedTerms, ns)
		}
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if why := resource.SkipObject(o.resource.GVR.GroupResource(), o.obj); why != "" {
				ctrl.LoggerFrom(ctx).V(2).Info("Leaving out a selected object", "kind", o.resource.GVK.Kind, "object", client.ObjectKeyFromObject(o.obj), "why", why)
				continue
			}
			selected[keyOf(o.resource, o.obj)] = o.obj
		}
	}

	out := make([]*unstructured.Unstructured, 0, len(selected))
	for _, k := range slices.SortedFunc(maps.Keys(selected), compareKeys) {
		out = append(out, selected[k])
	}
	return out, nil
}

// isNamespaces reports whether r is the core Namespace kind.
func isNamespaces(r Resource) bool {
	return r.GVR.Group == "" && r.GVR.Resource == "namespaces"
}

// lookup resolves the kind a selector names.
func (s *Selector) lookup(i int, t *placementv1beta1.ResourceSelectorTerm) (Resource, error) {
	gvk := schema.GroupVersionKind{Group: t.Group, Version: t.Version, Kind: t.Kind}
	r, err := s.catalog.Lookup(gvk)
	if meta.IsNoMatchError(err) {
		return Resource{}, invalid("resourceSelectors[%d]: the hub serves no kind %s in group %q version %q; check the group, version and kind, or install its CRD", i, t.Kind, t.Group, t.Version)
	}
	if err != nil {
		return Resource{}, err
	}
	if why := resource.SkipResource(r.GVR.GroupResource()); why != "" {
		return Resource{}, invalid("resourceSelectors[%d] selects %s, which is never placed: %s", i, r.GVR.GroupResource(), why)
	}
	return r, nil
}

// fetch reads the objects of r in namespace (all namespaces for
// cluster-scoped kinds) that t picks.
func (s *Selector) fetch(ctx context.Context, r Resource, namespace string, i int, t *placementv1beta1.ResourceSelectorTerm) ([]*unstructured.Unstructured, error) {
	ri := s.dynamic.Resource(r.GVR).Namespace(namespace)
	if t.Name != "" {
		obj, err := ri.Get(ctx, t.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("getting %s %q: %w", r.GVK.Kind, t.Name, err)
		}
		return []*unstructured.Unstructured{obj}, nil
	}
	opts := metav1.ListOptions{}
	if t.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
		if err != nil {
			return nil, invalid("resourceSelectors[%d].labelSelector is invalid: %v", i, err)
		}
		opts.LabelSelector = sel.String()
	}
	list, err := ri.List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", r.GVR.GroupResource(), err)
	}
	out := make([]*unstructured.Unstructured, len(list.Items))
	for j := range list.Items {
		out[j] = &list.Items[j]
	}
	return out, nil
}

// selectedObject is an object with the kind it was read as.
type selectedObject struct {
	resource Resource
	obj      *unstructured.Unstructured
}

// namespaceContents reads every object in namespace of the given kinds.
// Kinds the watcher's caches know to be empty there are not listed.
func (s *Selector) namespaceContents(ctx context.Context, kinds []Resource, namespace string) ([]selectedObject, error) {
	var out []selectedObject
	for _, r := range kinds {
		if s.watcher.hasNoObjectsIn(r.GVR, namespace) {
			continue
		}
		list, err := s.dynamic.Resource(r.GVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			continue // the kind went away since discovery
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s in namespace %q: %w", r.GVR.GroupResource(), namespace, err)
		}
		for j := range list.Items {
			out = append(out, selectedObject{resource: r, obj: &list.Items[j]})
		}
	}
	return out, nil
}

// selectInNamespace applies the placement's namespaced selectors inside namespace.
func (s *Selector) selectInNamespace(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement, terms []int, namespace string) ([]selectedObject, error) {
	var out []selectedObject
	for _, i := range terms {
		t := &crp.Spec.ResourceSelectors[i]
		r, err := s.lookup(i, t)
		if err != nil {
			return nil, err
		}
		s.watcher.Watch(r)
		objs, err := s.fetch(ctx, r, namespace, i, t)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			// An object named outright that is never placed is an error,
			// not something quietly left out.
			if why := resource.SkipObject(r.GVR.GroupResource(), obj); why != "" && t.Name != "" {
				return nil, invalid("resourceSelectors[%d] selects %s %q in namespace %q, which is never placed: %s", i, r.GVK.Kind, t.Name, namespace, why)
			}
			out = append(out, selectedObject{resource: r, obj: obj})
		}
	}
	return out, nil
}

// broader returns the scope that brings more along.
func broader(a, b placementv1beta1.SelectionScope) placementv1beta1.SelectionScope {
	rank := map[placementv1beta1.SelectionScope]int{
		placementv1beta1.NamespaceOnly:                  1,
		placementv1beta1.NamespaceWithResourceSelectors: 2,
		placementv1beta1.NamespaceWithResources:         3,
	}
	if rank[a] >= rank[b] {
		return a
	}
	return b
}

// objectKey identifies a selected object regardless of the version it was read as.
type objectKey struct {
	group, kind, namespace, name string
}

func keyOf(r Resource, obj *unstructured.Unstructured) objectKey {
	return objectKey{group: r.GVK.Group, kind: r.GVK.Kind, namespace: obj.GetNamespace(), name: obj.GetName()}
}

func compareKeys(a, b objectKey) int {
	return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.kind, b.kind),
		cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
}

// IsInvalid reports whether err means the placement's selectors cannot be resolved.
func IsInvalid(err error) bool {
	var e *InvalidSelectorError
	return errors.As(err, &e)
}
