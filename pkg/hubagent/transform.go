package hubagent

import (
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// CacheTransform shapes the objects the hub agent caches for memory. No
// controller reads managed fields, and they are often the largest part of
// a binding, Work or run, so they are dropped (updates from the cache keep
// them on the server). A fleet's hub holds one binding per placement and
// cluster, and bindings, Works and placements repeat the same strings over
// and over (label keys, finalizers, snapshot and cluster names, condition
// types, reasons and messages); each cached copy shares one instance of
// each. The objects are otherwise unchanged.
func CacheTransform() toolscache.TransformFunc {
	strip := cache.TransformStripManagedFields()
	return func(in any) (any, error) {
		out, err := strip(in)
		if err != nil {
			return out, err
		}
		switch o := out.(type) {
		case *placementv1beta1.ClusterResourceBinding:
			internMeta(&o.ObjectMeta)
			s := &o.Spec
			s.State = placementv1beta1.BindingState(intern(string(s.State)))
			s.ResourceSnapshotName = intern(s.ResourceSnapshotName)
			s.SchedulingPolicySnapshotName = intern(s.SchedulingPolicySnapshotName)
			s.TargetCluster = intern(s.TargetCluster)
			s.ClusterDecision.ClusterName = intern(s.ClusterDecision.ClusterName)
			s.ClusterDecision.Reason = intern(s.ClusterDecision.Reason)
			internConditions(o.Status.Conditions)
		case *placementv1beta1.Work:
			internMeta(&o.ObjectMeta)
			internConditions(o.Status.Conditions)
			for i := range o.Status.ManifestConditions {
				internConditions(o.Status.ManifestConditions[i].Conditions)
			}
		case *placementv1beta1.ClusterResourcePlacement:
			internMeta(&o.ObjectMeta)
			internConditions(o.Status.Conditions)
			for i := range o.Status.PerClusterPlacementStatuses {
				ps := &o.Status.PerClusterPlacementStatuses[i]
				ps.ClusterName = intern(ps.ClusterName)
				internConditions(ps.Conditions)
			}
		case *placementv1beta1.ClusterSchedulingPolicySnapshot:
			internMeta(&o.ObjectMeta)
			for i := range o.Status.ClusterDecisions {
				d := &o.Status.ClusterDecisions[i]
				d.ClusterName = intern(d.ClusterName)
				d.Reason = intern(d.Reason)
			}
		}
		return out, nil
	}
}

// intern returns the one shared instance of s.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

func internMeta(m *metav1.ObjectMeta) {
	for i, f := range m.Finalizers {
		m.Finalizers[i] = intern(f)
	}
	m.Labels = internMap(m.Labels)
	m.Annotations = internMap(m.Annotations)
}

// internMap returns a copy of m with shared keys and values.
func internMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[intern(k)] = intern(v)
	}
	return out
}

func internConditions(cs []metav1.Condition) {
	for i := range cs {
		c := &cs[i]
		c.Type = intern(c.Type)
		c.Reason = intern(c.Reason)
		c.Message = intern(c.Message)
	}
}
