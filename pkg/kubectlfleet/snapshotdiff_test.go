package kubectlfleet

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

const (
	deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"test-namespace"},"spec":{"replicas":2}}`
	role       = `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}`
)

func TestRenderDiff(t *testing.T) {
	cases := map[string]struct {
		from, to []placementv1beta1.ClusterResourceSnapshot
		want     string
	}{
		"the tutorial's edit of the config map": {
			from: []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(0, 1, false, hash0, time.Hour, testNamespace, configMapV1)},
			to:   []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(1, 1, true, hash0, time.Hour, testNamespace, configMapV2)},
			want: `
# ClusterResourcePlacement example-placement, resource snapshot index 0 -> 1: 1 changed, 0 added, 0 removed, 1 unchanged
# changed: ConfigMap/test-namespace/test-cm
--- 0/ConfigMap/test-namespace/test-cm
+++ 1/ConfigMap/test-namespace/test-cm
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  key: value1
+  key: value2
 kind: ConfigMap
 metadata:
   name: test-cm
`,
		},
		"resources added and removed, in the new group's order, then the dropped ones": {
			from: []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(3, 1, false, hash0, time.Hour, role, configMapV1)},
			to:   []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(5, 1, true, hash0, time.Hour, configMapV1, deployment)},
			want: `
# ClusterResourcePlacement example-placement, resource snapshot index 3 -> 5: 0 changed, 1 added, 1 removed, 1 unchanged
# added: Deployment.apps/test-namespace/web
--- /dev/null
+++ 5/Deployment.apps/test-namespace/web
@@ -0,0 +1,7 @@
+apiVersion: apps/v1
+kind: Deployment
+metadata:
+  name: web
+  namespace: test-namespace
+spec:
+  replicas: 2
# removed: ClusterRole.rbac.authorization.k8s.io/reader
--- 3/ClusterRole.rbac.authorization.k8s.io/reader
+++ /dev/null
@@ -1,11 +0,0 @@
-apiVersion: rbac.authorization.k8s.io/v1
-kind: ClusterRole
-metadata:
-  name: reader
-rules:
-- apiGroups:
-  - ""
-  resources:
-  - pods
-  verbs:
-  - get
`,
		},
		"resources spread over sub-snapshots are compared as one set": {
			from: []placementv1beta1.ClusterResourceSnapshot{
				masterSnapshot(0, 2, false, hash0, time.Hour, testNamespace),
				subSnapshot(0, 0, false, time.Hour, configMapV1),
			},
			to: []placementv1beta1.ClusterResourceSnapshot{
				masterSnapshot(1, 1, true, hash0, time.Hour, testNamespace, configMapV1),
			},
			want: `
# ClusterResourcePlacement example-placement: no changes from resource snapshot index 0 to 1 (0 changed, 0 added, 0 removed, 2 unchanged)
`,
		},
		"comparing backwards shows the rollback": {
			from: []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(1, 1, true, hash0, time.Hour, testNamespace, configMapV2)},
			to:   []placementv1beta1.ClusterResourceSnapshot{masterSnapshot(0, 1, false, hash0, time.Hour, testNamespace, configMapV1)},
			want: `
# ClusterResourcePlacement example-placement, resource snapshot index 1 -> 0: 1 changed, 0 added, 0 removed, 1 unchanged
# changed: ConfigMap/test-namespace/test-cm
--- 1/ConfigMap/test-namespace/test-cm
+++ 0/ConfigMap/test-namespace/test-cm
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  key: value2
+  key: value1
 kind: ConfigMap
 metadata:
   name: test-cm
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			from, _ := groupSnapshots(tc.from)
			to, _ := groupSnapshots(tc.to)
			var out strings.Builder
			if err := renderDiff(&out, "example-placement", from[0], to[0]); err != nil {
				t.Fatalf("renderDiff: %v", err)
			}
			if diff := cmp.Diff(strings.TrimPrefix(tc.want, "\n"), out.String()); diff != "" {
				t.Errorf("diff (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRenderDiffRejectsAResourceThatIsNotJSON(t *testing.T) {
	from, _ := groupSnapshots([]placementv1beta1.ClusterResourceSnapshot{masterSnapshot(0, 1, false, hash0, time.Hour, `{not json`)})
	to, _ := groupSnapshots([]placementv1beta1.ClusterResourceSnapshot{masterSnapshot(1, 1, true, hash0, time.Hour, testNamespace)})
	err := renderDiff(&strings.Builder{}, "example-placement", from[0], to[0])
	if err == nil || !strings.Contains(err.Error(), "decoding selected resource 0 of resource snapshot index 0") {
		t.Errorf("renderDiff error = %v, want a decoding error naming the resource and index", err)
	}
}

func TestDiffIndices(t *testing.T) {
	cases := map[string]struct {
		flag             []int
		wantFrom, wantTo int
		wantErr          string
	}{
		"one index compares it with the one before":   {flag: []int{4}, wantFrom: 3, wantTo: 4},
		"two indices compare the first with the last": {flag: []int{0, 2}, wantFrom: 0, wantTo: 2},
		"two indices may go backwards":                {flag: []int{2, 0}, wantFrom: 2, wantTo: 0},
		"index 0 alone has nothing before it":         {flag: []int{0}, wantErr: "index 0 is the first snapshot"},
		"three indices are too many":                  {flag: []int{0, 1, 2}, wantErr: "one or two resource snapshot indices, got 3"},
		"negative indices do not exist":               {flag: []int{-1, 2}, wantErr: "not negative"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			from, to, err := diffIndices(tc.flag)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("diffIndices(%v) error = %v, want one containing %q", tc.flag, err, tc.wantErr)
				}
				return
			}
			if err != nil || from != tc.wantFrom || to != tc.wantTo {
				t.Errorf("diffIndices(%v) = %d, %d, %v; want %d, %d", tc.flag, from, to, err, tc.wantFrom, tc.wantTo)
			}
		})
	}
}
