// Package selection resolves what a ClusterResourcePlacement selects on the
// hub and tells the placement controller when any of it changes.
//
// It learns the hub's kinds through discovery, reads selected objects with a
// dynamic client, and watches only the kinds some placement selects, through
// metadata-only informers: the hub agent never caches the content of objects
// it does not place.
package selection

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// Resource is one kind the hub serves, with the resource that lists it.
type Resource struct {
	GVR        schema.GroupVersionResource
	GVK        schema.GroupVersionKind
	Namespaced bool
}

// Catalog knows the hub's kinds. It caches discovery and refreshes it when
// asked for a kind it does not know, or when CRDs change (Invalidate).
type Catalog struct {
	discovery discovery.CachedDiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper

	// namespaced remembers NamespacedResources until discovery is
	// refreshed: every placement that selects a namespace asks for it on
	// every selection, and computing it from cached discovery allocates
	// the whole discovery document again.
	mu         sync.Mutex
	namespaced []Resource
}

// NewCatalog returns a Catalog reading discovery from dc.
func NewCatalog(dc discovery.DiscoveryInterface) *Catalog {
	cached := memory.NewMemCacheClient(dc)
	return &Catalog{discovery: cached, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached)}
}

// Invalidate forgets what discovery said, so the next lookup asks again.
func (c *Catalog) Invalidate() {
	c.mapper.Reset()
	c.forgetNamespaced()
}

func (c *Catalog) forgetNamespaced() {
	c.mu.Lock()
	c.namespaced = nil
	c.mu.Unlock()
}

// Lookup returns the resource serving gvk, refreshing discovery once when the
// kind is unknown. The error matches meta.IsNoMatchError when the hub does not
// serve the kind.
func (c *Catalog) Lookup(gvk schema.GroupVersionKind) (Resource, error) {
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Invalidate()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return Resource{}, fmt.Errorf("looking up kind %s: %w", gvk, err)
	}
	return Resource{
		GVR:        mapping.Resource,
		GVK:        mapping.GroupVersionKind,
		Namespaced: mapping.Scope.Name() == meta.RESTScopeNameNamespace,
	}, nil
}

// NamespacedResources returns, in their preferred versions, the namespaced
// kinds whose objects a namespace brings along: those that can be listed and
// watched and that fleet may propagate. API groups whose discovery fails (an
// unavailable aggregated API) are left out rather than failing everything;
// such a partial answer is not remembered.
func (c *Catalog) NamespacedResources() ([]Resource, error) {
	c.mu.Lock()
	known := c.namespaced
	c.mu.Unlock()
	if known != nil {
		return slices.Clone(known), nil
	}
	out, complete, err := c.discoverNamespaced()
	if err != nil {
		return nil, err
	}
	if complete {
		c.mu.Lock()
		c.namespaced = slices.Clone(out)
		c.mu.Unlock()
	}
	return out, nil
}

// discoverNamespaced computes NamespacedResources from discovery; complete
// is false when some API groups could not be discovered.
func (c *Catalog) discoverNamespaced() (out []Resource, complete bool, err error) {
	lists, err := discovery.ServerPreferredNamespacedResources(c.discovery)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, false, fmt.Errorf("discovering namespaced kinds: %w", err)
	}
	complete = err == nil
	lists = discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"list", "watch", "get"}}, lists)
	for _, list := range lists {
		gv, perr := schema.ParseGroupVersion(list.GroupVersion)
		if perr != nil {
			return nil, false, errors.Join(fmt.Errorf("parsing discovered group version %q: %w", list.GroupVersion, perr), err)
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") { // a subresource
				continue
			}
			gvr := gv.WithResource(r.Name)
			if resource.SkipResource(gvr.GroupResource()) != "" {
				continue
			}
			out = append(out, Resource{GVR: gvr, GVK: gv.WithKind(r.Kind), Namespaced: true})
		}
	}
	return out, complete, nil
}
