package workgenerator

import (
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var testTime = metav1.Date(2025, 1, 2, 3, 4, 5, 0, metav1.Now().Location())

// boundBinding is a Bound binding of placement crp on member1 at generation
// gen, pointing at the master snapshot of group index.
func boundBinding(crp string, index int, gen int64) *placementv1beta1.ClusterResourceBinding {
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:       crp + "-member1-abcd1234",
			Generation: gen,
			Labels:     map[string]string{placementv1beta1.PlacementTrackingLabel: crp},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                placementv1beta1.BindingStateBound,
			ResourceSnapshotName: fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index),
			TargetCluster:        "member1",
		},
	}
}

// configMap is the JSON of a ConfigMap named name in test-ns.
func configMap(name string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"namespace":"test-ns"},"data":{"key":"value"}}`, name)
}

// snapshot is a resource snapshot of placement crp in group index holding
// one ConfigMap per name: the master when sub < 0 (announcing count
// snapshots), otherwise the sub-snapshot sub.
func snapshot(crp string, index, sub, count int, names ...string) placementv1beta1.ClusterResourceSnapshot {
	s := placementv1beta1.ClusterResourceSnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: crp,
				placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
			},
		},
	}
	if sub < 0 {
		s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)
		s.Annotations = map[string]string{
			placementv1beta1.ResourceGroupHashAnnotation:         "hash",
			placementv1beta1.NumberOfResourceSnapshotsAnnotation: strconv.Itoa(count),
		}
	} else {
		s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameWithSubindexFmt, crp, index, sub)
		s.Annotations = map[string]string{placementv1beta1.SubindexOfResourceSnapshotAnnotation: strconv.Itoa(sub)}
	}
	for _, n := range names {
		s.Spec.SelectedResources = append(s.Spec.SelectedResources, placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: configMap(n)}})
	}
	return s
}

// work is a Work named name at generation gen, with the given conditions.
func work(name string, gen int64, conds ...metav1.Condition) *placementv1beta1.Work {
	w := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "fleet-member-member1", Generation: gen}}
	w.Status.Conditions = conds
	return w
}

// cond is a Work (or manifest) condition observed at gen.
func cond(t placementv1beta1.WorkConditionType, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: string(t), Status: s, Reason: reason, ObservedGeneration: gen, LastTransitionTime: testTime}
}

// appliedAndAvailable are the conditions of a Work whose manifests are
// applied and available at gen.
func appliedAndAvailable(gen int64) []metav1.Condition {
	return []metav1.Condition{
		cond(placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason, gen),
		cond(placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason, gen),
	}
}

// withManifest adds a manifest condition about ConfigMap test-ns/name.
func withManifest(w *placementv1beta1.Work, ordinal int, name string, conds ...metav1.Condition) *placementv1beta1.Work {
	w.Status.ManifestConditions = append(w.Status.ManifestConditions, placementv1beta1.ManifestCondition{
		Identifier: cmIdentifier(ordinal, name),
		Conditions: conds,
	})
	return w
}

func cmIdentifier(ordinal int, name string) placementv1beta1.WorkResourceIdentifier {
	return placementv1beta1.WorkResourceIdentifier{Ordinal: ordinal, Version: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "test-ns", Name: name}
}

func cmResource(name string) placementv1beta1.ResourceIdentifier {
	return placementv1beta1.ResourceIdentifier{Version: "v1", Kind: "ConfigMap", Namespace: "test-ns", Name: name}
}
