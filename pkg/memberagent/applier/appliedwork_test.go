package applier

import (
	"cmp"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func appliedRes(kind, namespace, name string) placementv1beta1.AppliedResourceMeta {
	return placementv1beta1.AppliedResourceMeta{WorkResourceIdentifier: placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: kind, Namespace: namespace, Name: name}}
}

func decoded(ordinal int, kind, namespace, name string) *manifest {
	m := &manifest{id: placementv1beta1.WorkResourceIdentifier{Ordinal: ordinal, Version: "v1", Kind: kind, Namespace: namespace, Name: name}}
	m.obj = liveAt(0)
	return m
}

func TestStaleResources(t *testing.T) {
	recorded := []placementv1beta1.AppliedResourceMeta{
		appliedRes("Namespace", "", "app"),
		appliedRes("ConfigMap", "app", "kept"),
		appliedRes("ConfigMap", "app", "removed"),
		appliedRes("Secret", "app", "kept"),
	}
	tests := map[string]struct {
		manifests []*manifest
		want      []placementv1beta1.AppliedResourceMeta
	}{
		"what every manifest still describes stays": {
			manifests: []*manifest{decoded(0, "Namespace", "", "app"), decoded(1, "ConfigMap", "app", "kept"), decoded(2, "ConfigMap", "app", "removed"), decoded(3, "Secret", "app", "kept")},
		},
		"an object whose manifest left the Work is stale, matched by kind as well as name": {
			manifests: []*manifest{decoded(0, "Namespace", "", "app"), decoded(1, "ConfigMap", "app", "kept"), decoded(2, "Secret", "app", "removed")},
			want:      []placementv1beta1.AppliedResourceMeta{appliedRes("ConfigMap", "app", "removed"), appliedRes("Secret", "app", "kept")},
		},
		"a new API version of the same object is the same object": {
			manifests: func() []*manifest {
				ms := []*manifest{decoded(0, "Namespace", "", "app"), decoded(1, "ConfigMap", "app", "kept"), decoded(2, "ConfigMap", "app", "removed"), decoded(3, "Secret", "app", "kept")}
				ms[1].id.Version = "v2"
				return ms
			}(),
		},
		"everything is stale when the Work is emptied": {
			want: recorded,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := staleResources(recorded, tc.manifests)
			if diff := gocmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("staleResources() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestCanRemoveStale(t *testing.T) {
	ok := []*manifest{decoded(0, "ConfigMap", "app", "a")}
	if !canRemoveStale(ok) {
		t.Errorf("canRemoveStale() = false with every manifest decoded")
	}
	if !canRemoveStale(nil) {
		t.Errorf("canRemoveStale() = false for an empty Work")
	}
	broken := append(ok, &manifest{id: placementv1beta1.WorkResourceIdentifier{Ordinal: 1}})
	if canRemoveStale(broken) {
		t.Errorf("canRemoveStale() = true although a manifest could not be decoded; its object would be deleted")
	}
}

func TestAppliedResources(t *testing.T) {
	aw := &placementv1beta1.AppliedWork{ObjectMeta: metav1.ObjectMeta{Name: "w", UID: ourUID}}
	owned := liveWith(ourRef)
	owned.SetUID("cm-uid")
	manifests := []*manifest{decoded(0, "ConfigMap", "app", "owned"), decoded(1, "ConfigMap", "app", "foreign"), decoded(2, "ConfigMap", "app", "missing")}
	results := []*result{{live: owned}, {live: liveWith(userRef)}, {}}
	want := []placementv1beta1.AppliedResourceMeta{{WorkResourceIdentifier: manifests[0].id, UID: "cm-uid"}}
	if diff := gocmp.Diff(want, appliedResources(manifests, results, aw)); diff != "" {
		t.Errorf("appliedResources() (-want,+got):\n%s", diff)
	}
}

func TestRemoveOrder(t *testing.T) {
	res := []placementv1beta1.AppliedResourceMeta{
		{WorkResourceIdentifier: placementv1beta1.WorkResourceIdentifier{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "crd"}},
		appliedRes("Namespace", "", "app"),
		appliedRes("ConfigMap", "app", "cm"),
	}
	slices.SortStableFunc(res, func(a, b placementv1beta1.AppliedResourceMeta) int {
		return cmp.Compare(removeOrder(a), removeOrder(b))
	})
	var got []string
	for _, r := range res {
		got = append(got, r.Kind)
	}
	if diff := gocmp.Diff([]string{"ConfigMap", "Namespace", "CustomResourceDefinition"}, got); diff != "" {
		t.Errorf("removal order (-want,+got):\n%s", diff)
	}
}
