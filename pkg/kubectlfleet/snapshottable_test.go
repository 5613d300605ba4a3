package kubectlfleet

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// masterSnapshot is the master snapshot of a group of size snapshots.
func masterSnapshot(index, size int, latest bool, hash string, age time.Duration, resources ...string) placementv1beta1.ClusterResourceSnapshot {
	s := subSnapshot(index, -1, latest, age, resources...)
	s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, "example-placement", index)
	s.Annotations = map[string]string{
		placementv1beta1.ResourceGroupHashAnnotation:         hash,
		placementv1beta1.NumberOfResourceSnapshotsAnnotation: strconv.Itoa(size),
	}
	return s
}

// subSnapshot is sub-snapshot subindex of a group.
func subSnapshot(index, subindex int, latest bool, age time.Duration, resources ...string) placementv1beta1.ClusterResourceSnapshot {
	s := placementv1beta1.ClusterResourceSnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name:              fmt.Sprintf(placementv1beta1.ResourceSnapshotNameWithSubindexFmt, "example-placement", index, subindex),
			CreationTimestamp: ago(age),
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: "example-placement",
				placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
				placementv1beta1.IsLatestSnapshotLabel:  strconv.FormatBool(latest),
			},
			Annotations: map[string]string{placementv1beta1.SubindexOfResourceSnapshotAnnotation: strconv.Itoa(subindex)},
		},
	}
	for _, r := range resources {
		s.Spec.SelectedResources = append(s.Spec.SelectedResources, placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: []byte(r)}})
	}
	return s
}

// The tutorial's selected resources.
const (
	testNamespace = `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"test-namespace"}}`
	configMapV1   = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"test-cm","namespace":"test-namespace"},"data":{"key":"value1"}}`
	configMapV2   = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"test-cm","namespace":"test-namespace"},"data":{"key":"value2"}}`
)

const hash0 = "3f2a9c1e0b7d44aa9e0c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978877665544a"

func TestRenderSnapshotTable(t *testing.T) {
	cases := map[string]struct {
		snapshots    []placementv1beta1.ClusterResourceSnapshot
		want         string
		wantProblems []string
	}{
		"the tutorial's two indices, the newer one latest": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{
				masterSnapshot(1, 1, true, "a81c03d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3", 2*time.Minute, testNamespace, configMapV2),
				masterSnapshot(0, 1, false, hash0, 5*time.Minute, testNamespace, configMapV1),
			},
			want: `
INDEX   LATEST   SUB-SNAPSHOTS   RESOURCES   HASH           AGE
0       false    0               2           3f2a9c1e0b7d   5m
1       true     0               2           a81c03d5e6f7   2m
`,
		},
		"a group split over sub-snapshots counts all its resources; KubeFleet's sha256: prefix is dropped": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{
				subSnapshot(10, 1, true, 3*time.Hour, configMapV2),
				masterSnapshot(10, 3, true, "sha256:"+hash0, 3*time.Hour, testNamespace),
				subSnapshot(10, 0, true, 3*time.Hour, configMapV1),
			},
			want: `
INDEX   LATEST   SUB-SNAPSHOTS   RESOURCES   HASH           AGE
10      true     2               3           3f2a9c1e0b7d   3h
`,
		},
		"a group missing a sub-snapshot, or its master, is shown and reported": {
			snapshots: []placementv1beta1.ClusterResourceSnapshot{
				masterSnapshot(2, 3, true, hash0, 30*time.Second, testNamespace),
				subSnapshot(2, 0, true, 30*time.Second, configMapV1),
				subSnapshot(3, 0, false, 10*time.Second, configMapV1),
			},
			want: `
INDEX   LATEST   SUB-SNAPSHOTS   RESOURCES   HASH           AGE
2       true     1/2             2           3f2a9c1e0b7d   30s
3       false    1               1           -              10s
`,
			wantProblems: []string{
				"resource snapshot index 2 has 2 of its 3 snapshots",
				"resource snapshot index 3 has no master snapshot",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			groups, problems := groupSnapshots(tc.snapshots)
			var out strings.Builder
			if err := renderSnapshotTable(&out, groups, now); err != nil {
				t.Fatalf("renderSnapshotTable: %v", err)
			}
			if diff := cmp.Diff(strings.TrimPrefix(tc.want, "\n"), out.String()); diff != "" {
				t.Errorf("table (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantProblems, problems); diff != "" {
				t.Errorf("problems (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestGroupSnapshotsLeavesOutSnapshotsWithoutAnIndex(t *testing.T) {
	bad := masterSnapshot(0, 1, true, hash0, time.Minute, testNamespace)
	bad.Labels[placementv1beta1.ResourceIndexLabel] = "x"
	groups, problems := groupSnapshots([]placementv1beta1.ClusterResourceSnapshot{bad, masterSnapshot(1, 1, true, hash0, time.Minute)})
	if len(groups) != 1 || groups[0].Index != 1 {
		t.Errorf("groups = %v, want only index 1", groups)
	}
	want := []string{`ClusterResourceSnapshot "example-placement-0-snapshot" has an invalid kubernetes-fleet.io/resource-index label "x"; it is left out`}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want,+got):\n%s", diff)
	}
}
