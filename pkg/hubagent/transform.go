package hubagent

import (
	"bytes"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/condition"
)

// CacheTransform shapes the objects the hub agent caches for memory. No
// controller reads managed fields, and they are often the largest part of
// a binding, Work or run, so they are dropped (updates from the cache keep
// them on the server). A fleet's hub holds one binding per placement and
// cluster, and bindings, Works and placements repeat the same content over
// and over: strings (label keys, finalizers, snapshot and cluster names,
// condition types, reasons and messages), and whole label and annotation
// maps, finalizer lists, condition lists and Works' manifest lists (the
// bindings of one placement carry the same labels and apply strategy, the
// clusters of one rollout wave the same conditions, and a placement's Works
// the same manifests on every cluster its overrides leave alone). Each
// cached copy shares one instance of each.
// The objects are otherwise unchanged.
//
// Sharing relies on what controller-runtime asks of every reader: cached
// objects are read-only. Get and List hand out deep copies (which own their
// maps and slices), and the lists that skip the copy only read.
func CacheTransform() toolscache.TransformFunc {
	strip := cache.TransformStripManagedFields()
	sh := newSharer()
	return func(in any) (any, error) {
		out, err := strip(in)
		if err != nil {
			return out, err
		}
		switch o := out.(type) {
		case *placementv1beta1.ClusterResourceBinding:
			sh.meta(&o.ObjectMeta)
			s := &o.Spec
			s.State = placementv1beta1.BindingState(intern(string(s.State)))
			s.ResourceSnapshotName = intern(s.ResourceSnapshotName)
			s.SchedulingPolicySnapshotName = intern(s.SchedulingPolicySnapshotName)
			s.TargetCluster = intern(s.TargetCluster)
			s.ClusterDecision.ClusterName = intern(s.ClusterDecision.ClusterName)
			s.ClusterDecision.Reason = intern(s.ClusterDecision.Reason)
			s.ClusterDecision.ClusterScore = sh.clusterScore(s.ClusterDecision.ClusterScore)
			s.ApplyStrategy = sh.applyStrategy(s.ApplyStrategy)
			o.Status.Conditions = sh.conditions(o.Status.Conditions)
		case *placementv1beta1.Work:
			sh.meta(&o.ObjectMeta)
			o.Spec.Workload.Manifests = sh.manifests(o.Spec.Workload.Manifests)
			o.Spec.ApplyStrategy = sh.applyStrategy(o.Spec.ApplyStrategy)
			o.Status.Conditions = sh.conditions(o.Status.Conditions)
			for i := range o.Status.ManifestConditions {
				mc := &o.Status.ManifestConditions[i]
				id := &mc.Identifier
				id.Group, id.Version, id.Kind, id.Resource = intern(id.Group), intern(id.Version), intern(id.Kind), intern(id.Resource)
				id.Namespace, id.Name = intern(id.Namespace), intern(id.Name)
				mc.Conditions = sh.conditions(mc.Conditions)
			}
		case *placementv1beta1.ClusterResourcePlacement:
			sh.meta(&o.ObjectMeta)
			o.Status.Conditions = sh.conditions(o.Status.Conditions)
			// A decoder grows a list as it reads it, to up to twice its
			// length; a placement's list of clusters is its largest.
			o.Status.PerClusterPlacementStatuses = slices.Clone(o.Status.PerClusterPlacementStatuses)
			for i := range o.Status.PerClusterPlacementStatuses {
				ps := &o.Status.PerClusterPlacementStatuses[i]
				ps.ClusterName = intern(ps.ClusterName)
				ps.ObservedResourceIndex = intern(ps.ObservedResourceIndex)
				ps.Conditions = sh.conditions(ps.Conditions)
			}
		case *placementv1beta1.ClusterSchedulingPolicySnapshot:
			sh.meta(&o.ObjectMeta)
			for i := range o.Status.ClusterDecisions {
				d := &o.Status.ClusterDecisions[i]
				d.ClusterName = intern(d.ClusterName)
				d.Reason = intern(d.Reason)
			}
		}
		return out, nil
	}
}

// maxShared bounds each sharing table. A full table starts over: what it
// shared stays shared, and the table fills again with what is current, so
// content that is gone (a finished run's annotation, old transition times)
// is not held for ever.
const maxShared = 1 << 14

// table maps a hash of some content to its one shared instance. Entries
// whose hashes collide are told apart by comparing the content, so a
// collision only costs a missed share.
type table[T any] struct {
	equal func(a, b T) bool
	mu    sync.Mutex
	m     map[uint64]T
}

func newTable[T any](equal func(a, b T) bool) table[T] {
	return table[T]{equal: equal, m: map[uint64]T{}}
}

// get returns the shared instance of v's content, if there is one; h is
// the hash of that content.
func (t *table[T]) get(h uint64, v T) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[h]
	if !ok || !t.equal(s, v) {
		return v, false
	}
	return s, true
}

// share returns the shared instance of v's content, making v that instance
// when there is none.
func (t *table[T]) share(h uint64, v T) T {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.m[h]; ok {
		if t.equal(s, v) {
			return s
		}
		return v
	}
	if len(t.m) >= maxShared {
		clear(t.m)
	}
	t.m[h] = v
	return v
}

// pointers maps a comparable key of some content to its one shared
// instance; like a table, a full one starts over.
type pointers[K comparable, T any] struct {
	mu sync.Mutex
	m  map[K]*T
}

// share returns the shared instance of the content keyed k, making v that
// instance when there is none.
func (p *pointers[K, T]) share(k K, v *T) *T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.m[k]; ok {
		return s
	}
	if p.m == nil || len(p.m) >= maxShared {
		p.m = map[K]*T{}
	}
	p.m[k] = v
	return v
}

// sharer shares maps, finalizer lists, condition lists, manifest lists,
// apply strategies and cluster scores among cached objects.
type sharer struct {
	seed       maphash.Seed
	maps       table[map[string]string]
	lists      table[[]string]
	conds      table[[]metav1.Condition]
	manifestLs table[[]placementv1beta1.Manifest]
	strategies pointers[applyStrategyKey, placementv1beta1.ApplyStrategy]
	scores     pointers[clusterScoreKey, placementv1beta1.ClusterScore]
}

func newSharer() *sharer {
	return &sharer{
		seed:  maphash.MakeSeed(),
		maps:  newTable(maps.Equal[map[string]string]),
		lists: newTable(slices.Equal[[]string]),
		conds: newTable(condition.ListsEqual),
		manifestLs: newTable(func(a, b []placementv1beta1.Manifest) bool {
			return slices.EqualFunc(a, b, func(x, y placementv1beta1.Manifest) bool { return bytes.Equal(x.Raw, y.Raw) })
		}),
	}
}

// manifests returns the shared manifest list with ms's content. The Works
// of a placement carry the same manifests on every cluster its overrides do
// not change, and a placement's resources can be large: without sharing,
// the cache would hold them once per cluster.
func (sh *sharer) manifests(ms []placementv1beta1.Manifest) []placementv1beta1.Manifest {
	if len(ms) == 0 {
		return ms
	}
	var h maphash.Hash
	h.SetSeed(sh.seed)
	for i := range ms {
		if ms[i].Object != nil {
			return ms // decoded into an object: not shared by its bytes
		}
		maphash.WriteComparable(&h, len(ms[i].Raw))
		h.Write(ms[i].Raw)
	}
	return sh.manifestLs.share(h.Sum64(), slices.Clip(ms))
}

// applyStrategyKey is an apply strategy's content as a comparable value.
type applyStrategyKey struct {
	comparison, whenToApply, typ, whenToTakeOver string
	allowCoOwnership, serverSide, force          bool
}

// applyStrategy returns the shared apply strategy with s's content.
func (sh *sharer) applyStrategy(s *placementv1beta1.ApplyStrategy) *placementv1beta1.ApplyStrategy {
	if s == nil {
		return nil
	}
	k := applyStrategyKey{
		comparison: string(s.ComparisonOption), whenToApply: string(s.WhenToApply),
		typ: string(s.Type), whenToTakeOver: string(s.WhenToTakeOver),
		allowCoOwnership: s.AllowCoOwnership, serverSide: s.ServerSideApplyConfig != nil,
	}
	if k.serverSide {
		k.force = s.ServerSideApplyConfig.ForceConflicts
	}
	return sh.strategies.share(k, s)
}

// clusterScoreKey is a cluster score's content as a comparable value.
type clusterScoreKey struct {
	affinity, topologySpread       int32
	hasAffinity, hasTopologySpread bool
}

// clusterScore returns the shared cluster score with s's content.
func (sh *sharer) clusterScore(s *placementv1beta1.ClusterScore) *placementv1beta1.ClusterScore {
	if s == nil {
		return nil
	}
	var k clusterScoreKey
	if s.AffinityScore != nil {
		k.affinity, k.hasAffinity = *s.AffinityScore, true
	}
	if s.TopologySpreadScore != nil {
		k.topologySpread, k.hasTopologySpread = *s.TopologySpreadScore, true
	}
	return sh.scores.share(k, s)
}

func (sh *sharer) meta(m *metav1.ObjectMeta) {
	m.Labels = sh.stringMap(m.Labels)
	m.Annotations = sh.stringMap(m.Annotations)
	if len(m.Finalizers) > 0 {
		var h maphash.Hash
		h.SetSeed(sh.seed)
		for i, f := range m.Finalizers {
			m.Finalizers[i] = intern(f)
			h.WriteString(f)
			h.WriteByte(0)
		}
		m.Finalizers = sh.lists.share(h.Sum64(), slices.Clip(m.Finalizers))
	}
}

// stringMap returns the shared map with m's content; nil and empty maps
// stay as they are.
func (sh *sharer) stringMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	// The sum of the entries' hashes does not depend on the map's order.
	var sum uint64
	var h maphash.Hash
	h.SetSeed(sh.seed)
	for k, v := range m {
		h.Reset()
		h.WriteString(k)
		h.WriteByte(0)
		h.WriteString(v)
		sum += h.Sum64()
	}
	if s, ok := sh.maps.get(sum, m); ok {
		return s
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[intern(k)] = intern(v)
	}
	return sh.maps.share(sum, out)
}

// conditions returns the shared list with cs's content, with shared
// strings.
func (sh *sharer) conditions(cs []metav1.Condition) []metav1.Condition {
	if len(cs) == 0 {
		return cs
	}
	var h maphash.Hash
	h.SetSeed(sh.seed)
	for i := range cs {
		c := &cs[i]
		c.Type = intern(c.Type)
		c.Status = metav1.ConditionStatus(intern(string(c.Status)))
		c.Reason = intern(c.Reason)
		c.Message = intern(c.Message)
		for _, f := range []string{c.Type, string(c.Status), c.Reason, c.Message} {
			h.WriteString(f)
			h.WriteByte(0)
		}
		maphash.WriteComparable(&h, c.ObservedGeneration)
		maphash.WriteComparable(&h, c.LastTransitionTime.UnixNano())
	}
	sum := h.Sum64()
	if s, ok := sh.conds.get(sum, cs); ok {
		return s
	}
	// The first instance is kept at its length, not at the capacity the
	// decoder grew it to.
	return sh.conds.share(sum, slices.Clone(cs))
}

// intern returns the one shared instance of s.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}
