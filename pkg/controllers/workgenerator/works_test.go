package workgenerator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestOrderGroup(t *testing.T) {
	master := snapshot("crp", 1, -1, 3, "a")
	tests := map[string]struct {
		master      placementv1beta1.ClusterResourceSnapshot
		members     []placementv1beta1.ClusterResourceSnapshot
		wantNames   []string
		wantMissing int
		wantErr     bool
	}{
		"a master without a count stands alone": {
			master: func() placementv1beta1.ClusterResourceSnapshot {
				s := snapshot("crp", 0, -1, 1)
				s.Annotations = nil
				return s
			}(),
			wantNames: []string{"crp-0-snapshot"},
		},
		"a complete group comes master first, then by sub-index": {
			master:    master,
			members:   []placementv1beta1.ClusterResourceSnapshot{snapshot("crp", 1, 1, 0, "c"), master, snapshot("crp", 1, 0, 0, "b")},
			wantNames: []string{"crp-1-snapshot", "crp-1-0", "crp-1-1"},
		},
		"a sub-snapshot not created yet is missing": {
			master:      master,
			members:     []placementv1beta1.ClusterResourceSnapshot{master, snapshot("crp", 1, 1, 0, "c")},
			wantNames:   []string{"crp-1-snapshot", "crp-1-1"},
			wantMissing: 1,
		},
		"the master not listed yet by the cache still counts": {
			master:    snapshot("crp", 2, -1, 1, "a"),
			wantNames: []string{"crp-2-snapshot"},
		},
		"a sub-index beyond the announced count is invalid": {
			master:  master,
			members: []placementv1beta1.ClusterResourceSnapshot{snapshot("crp", 1, 2, 0, "c")},
			wantErr: true,
		},
		"two sub-snapshots with one sub-index are invalid": {
			master: master,
			members: func() []placementv1beta1.ClusterResourceSnapshot {
				dup := snapshot("crp", 1, 0, 0, "c")
				dup.Name = "crp-1-dup"
				return []placementv1beta1.ClusterResourceSnapshot{snapshot("crp", 1, 0, 0, "b"), dup}
			}(),
			wantErr: true,
		},
		"a count that is not a number is invalid": {
			master: func() placementv1beta1.ClusterResourceSnapshot {
				s := snapshot("crp", 1, -1, 1)
				s.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation] = "many"
				return s
			}(),
			wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			group, missing, err := orderGroup(&tc.master, tc.members)
			if (err != nil) != tc.wantErr {
				t.Fatalf("orderGroup error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			var names []string
			for _, s := range group {
				names = append(names, s.Name)
			}
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("orderGroup snapshots (-want,+got):\n%s", diff)
			}
			if missing != tc.wantMissing {
				t.Errorf("orderGroup missing = %d, want %d", missing, tc.wantMissing)
			}
		})
	}
}

func TestBuildWorks(t *testing.T) {
	b := boundBinding("crp", 4, 2)
	b.Spec.ApplyStrategy = &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply}
	master, sub := snapshot("crp", 4, -1, 2, "a", "b"), snapshot("crp", 4, 0, 0, "c")
	got, err := buildWorks(b, "crp", "fleet-member-member1", []*placementv1beta1.ClusterResourceSnapshot{&master, &sub})
	if err != nil {
		t.Fatalf("buildWorks: %v", err)
	}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: name, Namespace: "fleet-member-member1",
			Labels: map[string]string{
				placementv1beta1.ParentBindingLabel:               b.Name,
				placementv1beta1.PlacementTrackingLabel:           "crp",
				placementv1beta1.ParentResourceSnapshotIndexLabel: "4",
			},
			Annotations: map[string]string{placementv1beta1.ParentResourceSnapshotNameAnnotation: "crp-4-snapshot"},
		}
	}
	manifests := func(names ...string) []placementv1beta1.Manifest {
		var out []placementv1beta1.Manifest
		for _, n := range names {
			out = append(out, placementv1beta1.Manifest{RawExtension: runtime.RawExtension{Raw: configMap(n)}})
		}
		return out
	}
	strategy := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply}
	want := []*placementv1beta1.Work{
		{ObjectMeta: meta("crp-work"), Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: manifests("a", "b")}, ApplyStrategy: strategy}},
		{ObjectMeta: meta("crp-0"), Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: manifests("c")}, ApplyStrategy: strategy}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buildWorks (-want,+got):\n%s", diff)
	}
	if got[0].Spec.ApplyStrategy == b.Spec.ApplyStrategy {
		t.Error("buildWorks shares the binding's apply strategy, want a copy")
	}

	b.Spec.ApplyStrategy = nil
	got, err = buildWorks(b, "crp", "ns", []*placementv1beta1.ClusterResourceSnapshot{&master})
	if err != nil || got[0].Spec.ApplyStrategy != nil {
		t.Errorf("buildWorks without an apply strategy = %v, %v; want a Work without one", got[0].Spec.ApplyStrategy, err)
	}

	bad := snapshot("crp", 4, -1, 1, "a")
	bad.Labels[placementv1beta1.ResourceIndexLabel] = "four"
	if _, err := buildWorks(b, "crp", "ns", []*placementv1beta1.ClusterResourceSnapshot{&bad}); err == nil {
		t.Error("buildWorks with an invalid resource index = nil error, want one")
	}
}

func TestWorkUpToDate(t *testing.T) {
	master := snapshot("crp", 1, -1, 1, "a", "b")
	b := boundBinding("crp", 1, 1)
	b.Spec.ApplyStrategy = &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}
	works, err := buildWorks(b, "crp", "ns", []*placementv1beta1.ClusterResourceSnapshot{&master})
	if err != nil {
		t.Fatalf("buildWorks: %v", err)
	}
	desired := works[0]
	tests := map[string]struct {
		mutate func(*placementv1beta1.Work)
		want   bool
	}{
		"the same Work": {mutate: func(*placementv1beta1.Work) {}, want: true},
		"manifests re-encoded by the API server": {mutate: func(w *placementv1beta1.Work) {
			w.Spec.Workload.Manifests[0].Raw = []byte(`{"kind":"ConfigMap", "apiVersion":"v1","data":{"key":"value"},"metadata":{"namespace":"test-ns","name":"a"}}`)
		}, want: true},
		"other labels, a report-back strategy and a status": {mutate: func(w *placementv1beta1.Work) {
			w.Labels["team"] = "a"
			w.Spec.ReportBackStrategy = &placementv1beta1.ReportBackStrategy{}
			w.Status.Conditions = appliedAndAvailable(1)
		}, want: true},
		"a changed manifest": {mutate: func(w *placementv1beta1.Work) {
			w.Spec.Workload.Manifests[1].Raw = configMap("c")
		}},
		"a missing manifest": {mutate: func(w *placementv1beta1.Work) {
			w.Spec.Workload.Manifests = w.Spec.Workload.Manifests[:1]
		}},
		"manifests in another order": {mutate: func(w *placementv1beta1.Work) {
			m := w.Spec.Workload.Manifests
			m[0], m[1] = m[1], m[0]
		}},
		"another snapshot index": {mutate: func(w *placementv1beta1.Work) {
			w.Labels[placementv1beta1.ParentResourceSnapshotIndexLabel] = "0"
		}},
		"another snapshot name": {mutate: func(w *placementv1beta1.Work) {
			w.Annotations[placementv1beta1.ParentResourceSnapshotNameAnnotation] = "crp-0-snapshot"
		}},
		"another apply strategy": {mutate: func(w *placementv1beta1.Work) {
			w.Spec.ApplyStrategy.Type = placementv1beta1.ApplyStrategyTypeReportDiff
		}},
		"no apply strategy": {mutate: func(w *placementv1beta1.Work) { w.Spec.ApplyStrategy = nil }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			existing := desired.DeepCopy()
			tc.mutate(existing)
			if got := workUpToDate(existing, desired); got != tc.want {
				t.Errorf("workUpToDate = %v, want %v", got, tc.want)
			}
			if merged := mergeWork(existing, desired); !workUpToDate(merged, desired) {
				t.Errorf("workUpToDate(mergeWork(...)) = false, want true")
			}
		})
	}
}

func TestMergeWorkKeepsWhatIsNotOurs(t *testing.T) {
	master := snapshot("crp", 2, -1, 1, "a")
	b := boundBinding("crp", 2, 1)
	works, err := buildWorks(b, "crp", "ns", []*placementv1beta1.ClusterResourceSnapshot{&master})
	if err != nil {
		t.Fatalf("buildWorks: %v", err)
	}
	existing := works[0].DeepCopy()
	existing.ResourceVersion = "7"
	existing.Finalizers = []string{placementv1beta1.WorkFinalizer}
	existing.Labels = map[string]string{"team": "a", placementv1beta1.ParentResourceSnapshotIndexLabel: "1"}
	existing.Annotations = nil
	existing.Spec.ReportBackStrategy = &placementv1beta1.ReportBackStrategy{}
	existing.Spec.Workload.Manifests = nil
	existing.Status.Conditions = appliedAndAvailable(1)

	want := existing.DeepCopy()
	want.Labels = map[string]string{
		"team":                                            "a",
		placementv1beta1.ParentBindingLabel:               b.Name,
		placementv1beta1.PlacementTrackingLabel:           "crp",
		placementv1beta1.ParentResourceSnapshotIndexLabel: "2",
	}
	want.Annotations = map[string]string{placementv1beta1.ParentResourceSnapshotNameAnnotation: "crp-2-snapshot"}
	want.Spec.Workload.Manifests = works[0].Spec.Workload.Manifests

	got := mergeWork(existing, works[0])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mergeWork (-want,+got):\n%s", diff)
	}
	if existing.Labels[placementv1beta1.ParentResourceSnapshotIndexLabel] != "1" {
		t.Error("mergeWork changed the existing Work, want a copy")
	}
}

func TestWorksMatchBinding(t *testing.T) {
	b := boundBinding("crp", 3, 5)
	b.Spec.ApplyStrategy = &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeServerSideApply}
	made := func(snapshotName string, strategy *placementv1beta1.ApplyStrategy) *placementv1beta1.Work {
		w := work("crp-work", 1)
		w.Annotations = map[string]string{placementv1beta1.ParentResourceSnapshotNameAnnotation: snapshotName}
		w.Spec.ApplyStrategy = strategy
		return w
	}
	tests := map[string]struct {
		works map[string]*placementv1beta1.Work
		want  bool
	}{
		"Works of the named snapshot and strategy": {
			works: map[string]*placementv1beta1.Work{"crp-work": made("crp-3-snapshot", b.Spec.ApplyStrategy.DeepCopy())},
			want:  true,
		},
		"a Work of another snapshot": {
			works: map[string]*placementv1beta1.Work{"crp-work": made("crp-2-snapshot", b.Spec.ApplyStrategy.DeepCopy())},
		},
		"a Work with another apply strategy": {
			works: map[string]*placementv1beta1.Work{"crp-work": made("crp-3-snapshot", nil)},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := worksMatchBinding(b, tc.works); got != tc.want {
				t.Errorf("worksMatchBinding = %v, want %v", got, tc.want)
			}
		})
	}
}
