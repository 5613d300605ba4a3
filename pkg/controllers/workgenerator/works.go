package workgenerator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// orderGroup returns the snapshots of master's group, master first and then
// the sub-snapshots by sub-index, and how many of the sub-snapshots the
// master announces (number-of-resource-snapshots, 1 when absent) do not exist
// yet. members are the snapshots sharing master's placement and resource
// index; snapshots other than master without a sub-index are ignored.
func orderGroup(master *placementv1beta1.ClusterResourceSnapshot, members []placementv1beta1.ClusterResourceSnapshot) ([]*placementv1beta1.ClusterResourceSnapshot, int, error) {
	want := 1
	if v, ok := master.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, 0, fmt.Errorf("resource snapshot %q has an invalid %s annotation %q",
				master.Name, placementv1beta1.NumberOfResourceSnapshotsAnnotation, v)
		}
		want = n
	}
	subs := map[int]*placementv1beta1.ClusterResourceSnapshot{}
	for i := range members {
		s := &members[i]
		v, ok := s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation]
		if s.Name == master.Name || !ok {
			continue
		}
		sub, err := strconv.Atoi(v)
		if err != nil || sub < 0 || sub >= want-1 {
			return nil, 0, fmt.Errorf("resource snapshot %q has a %s annotation %q outside the %d sub-snapshot(s) of group %q",
				s.Name, placementv1beta1.SubindexOfResourceSnapshotAnnotation, v, want-1, master.Name)
		}
		if prev, dup := subs[sub]; dup {
			return nil, 0, fmt.Errorf("resource snapshots %q and %q of group %q have the same sub-index %d", prev.Name, s.Name, master.Name, sub)
		}
		subs[sub] = s
	}
	group := []*placementv1beta1.ClusterResourceSnapshot{master}
	for _, sub := range slices.Sorted(maps.Keys(subs)) {
		group = append(group, subs[sub])
	}
	return group, want - len(group), nil
}

// workName is the name of the Work built from a snapshot: <placement>-work
// for the group's master, <placement>-<subindex> for a sub-snapshot.
func workName(crp string, s *placementv1beta1.ClusterResourceSnapshot) (string, error) {
	v, ok := s.Annotations[placementv1beta1.SubindexOfResourceSnapshotAnnotation]
	if !ok {
		return fmt.Sprintf(placementv1beta1.FirstWorkNameFmt, crp), nil
	}
	sub, err := strconv.Atoi(v)
	if err != nil || sub < 0 {
		return "", fmt.Errorf("resource snapshot %q has an invalid %s annotation %q", s.Name, placementv1beta1.SubindexOfResourceSnapshotAnnotation, v)
	}
	return fmt.Sprintf(placementv1beta1.WorkNameWithSubindexFmt, crp, sub), nil
}

// buildWorks returns the Works that place group (master first, as
// orderGroup returns it) for the binding of placement crp in namespace:
// one per snapshot, holding the snapshot's selected resources in order and
// the binding's apply strategy.
//
// The apply strategy is copied as it is: a binding without one gives Works
// without one, which the member agent reads as the defaults. The CRDs of
// bindings and Works default the same fields of a strategy that is set, so
// the copy compares equal after the API server has stored it.
//
// Works have no owner reference: they live in the cluster's namespace and
// the binding is cluster-scoped; the binding's finalizer removes them.
func buildWorks(b *placementv1beta1.ClusterResourceBinding, crp, namespace string, group []*placementv1beta1.ClusterResourceSnapshot) ([]*placementv1beta1.Work, error) {
	master := group[0]
	index := master.Labels[placementv1beta1.ResourceIndexLabel]
	if _, err := strconv.Atoi(index); err != nil {
		return nil, fmt.Errorf("resource snapshot %q has an invalid %s label %q", master.Name, placementv1beta1.ResourceIndexLabel, index)
	}
	out := make([]*placementv1beta1.Work, 0, len(group))
	for _, s := range group {
		name, err := workName(crp, s)
		if err != nil {
			return nil, err
		}
		manifests := make([]placementv1beta1.Manifest, len(s.Spec.SelectedResources))
		for i, res := range s.Spec.SelectedResources {
			manifests[i] = placementv1beta1.Manifest{RawExtension: *res.RawExtension.DeepCopy()}
		}
		out = append(out, &placementv1beta1.Work{
			ObjectMeta: metav1.ObjectMeta{
				Name:      name,
				Namespace: namespace,
				Labels: map[string]string{
					placementv1beta1.ParentBindingLabel:               b.Name,
					placementv1beta1.PlacementTrackingLabel:           crp,
					placementv1beta1.ParentResourceSnapshotIndexLabel: index,
				},
				Annotations: map[string]string{
					placementv1beta1.ParentResourceSnapshotNameAnnotation: master.Name,
				},
			},
			Spec: placementv1beta1.WorkSpec{
				Workload:      placementv1beta1.WorkloadTemplate{Manifests: manifests},
				ApplyStrategy: b.Spec.ApplyStrategy.DeepCopy(),
			},
		})
	}
	return out, nil
}

// workUpToDate reports whether existing carries everything desired sets:
// its labels and annotation, the manifests (compared as JSON values, so the
// API server's re-encoding does not count as a change) and the apply
// strategy. Anything else on existing (other labels, a report-back
// strategy, the status) is not ours to compare.
func workUpToDate(existing, desired *placementv1beta1.Work) bool {
	for k, v := range desired.Labels {
		if got, ok := existing.Labels[k]; !ok || got != v {
			return false
		}
	}
	for k, v := range desired.Annotations {
		if got, ok := existing.Annotations[k]; !ok || got != v {
			return false
		}
	}
	return equality.Semantic.DeepEqual(existing.Spec.ApplyStrategy, desired.Spec.ApplyStrategy) &&
		manifestsEqual(existing.Spec.Workload.Manifests, desired.Spec.Workload.Manifests)
}

// mergeWork returns a copy of existing with desired's labels, annotation,
// manifests and apply strategy written over it.
func mergeWork(existing, desired *placementv1beta1.Work) *placementv1beta1.Work {
	w := existing.DeepCopy()
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	maps.Copy(w.Labels, desired.Labels)
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	maps.Copy(w.Annotations, desired.Annotations)
	w.Spec.Workload.Manifests = desired.Spec.Workload.DeepCopy().Manifests
	w.Spec.ApplyStrategy = desired.Spec.ApplyStrategy.DeepCopy()
	return w
}

// manifestsEqual compares two manifest lists in order, byte for byte or,
// failing that, as decoded JSON values.
func manifestsEqual(a, b []placementv1beta1.Manifest) bool {
	return slices.EqualFunc(a, b, func(x, y placementv1beta1.Manifest) bool {
		if bytes.Equal(x.Raw, y.Raw) {
			return true
		}
		var xv, yv any
		if json.Unmarshal(x.Raw, &xv) != nil || json.Unmarshal(y.Raw, &yv) != nil {
			return false
		}
		return equality.Semantic.DeepEqual(xv, yv)
	})
}

// worksMatchBinding reports whether every Work was written for the
// binding's current spec: from the resource snapshot group it names, with
// its apply strategy.
func worksMatchBinding(b *placementv1beta1.ClusterResourceBinding, works map[string]*placementv1beta1.Work) bool {
	for _, w := range works {
		if w.Annotations[placementv1beta1.ParentResourceSnapshotNameAnnotation] != b.Spec.ResourceSnapshotName ||
			!equality.Semantic.DeepEqual(w.Spec.ApplyStrategy, b.Spec.ApplyStrategy) {
			return false
		}
	}
	return true
}

// sortedWorks returns the Works ordered by name.
func sortedWorks(works map[string]*placementv1beta1.Work) []*placementv1beta1.Work {
	out := slices.Collect(maps.Values(works))
	slices.SortFunc(out, func(a, b *placementv1beta1.Work) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
