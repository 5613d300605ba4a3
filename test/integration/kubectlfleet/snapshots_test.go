package kubectlfleet

import (
	"fmt"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

var _ = Describe("kubectl fleet snapshots", Ordered, func() {
	const placement = "snapshots-web"
	const (
		namespace = `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}}`
		cmV1      = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-config","namespace":"web"},"data":{"color":"blue","size":"large"}}`
		cmV2      = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-config","namespace":"web"},"data":{"color":"green","size":"large"}}`
		role      = `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"web-reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}`
		deploy    = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"web"},"spec":{"replicas":3}}`
	)
	hash := func(index int) string { return fmt.Sprintf("%d%063x", index, 0xabc) }

	// snapshot creates one snapshot of the placement's group index: the
	// master (subindex < 0) or a sub-snapshot.
	snapshot := func(index, subindex, groupSize int, latest bool, resources ...string) {
		GinkgoHelper()
		s := &placementv1beta1.ClusterResourceSnapshot{ObjectMeta: metav1.ObjectMeta{
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: placement,
				placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
				placementv1beta1.IsLatestSnapshotLabel:  strconv.FormatBool(latest),
			},
		}}
		if subindex < 0 {
			s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, placement, index)
			s.Annotations = map[string]string{
				placementv1beta1.ResourceGroupHashAnnotation:         hash(index),
				placementv1beta1.NumberOfResourceSnapshotsAnnotation: strconv.Itoa(groupSize),
			}
		} else {
			s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameWithSubindexFmt, placement, index, subindex)
			s.Annotations = map[string]string{placementv1beta1.SubindexOfResourceSnapshotAnnotation: strconv.Itoa(subindex)}
		}
		for _, r := range resources {
			s.Spec.SelectedResources = append(s.Spec.SelectedResources, placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: []byte(r)}})
		}
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
	}

	BeforeAll(func() {
		crp := &placementv1beta1.ClusterResourcePlacement{}
		Expect(yaml.Unmarshal([]byte(framework.SeedPlacement), crp)).To(Succeed())
		crp.Name = placement
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())

		// Index 0: the namespace, a config map and a cluster role. Index 1,
		// split over a master and a sub-snapshot: the config map changed, the
		// role went and a deployment came.
		snapshot(0, -1, 1, false, namespace, cmV1, role)
		snapshot(1, -1, 2, true, namespace, cmV2)
		snapshot(1, 0, 2, true, deploy)
	})

	It("lists the placement's snapshot groups, oldest first", func() {
		rows := framework.Table(fleet("snapshots", placement))
		Expect(rows).To(HaveLen(3))
		Expect(rows[0]).To(Equal([]string{"INDEX", "LATEST", "SUB-SNAPSHOTS", "RESOURCES", "HASH", "AGE"}))
		Expect(rows[1][:5]).To(Equal([]string{"0", "false", "0", "3", hash(0)[:12]}))
		Expect(rows[2][:5]).To(Equal([]string{"1", "true", "1", "3", hash(1)[:12]}))
		for _, row := range rows[1:] {
			Expect(row[5]).To(MatchRegexp(`^[0-9]+s$`), "the age of a snapshot created seconds ago")
		}
	})

	It("shows what an index changed as a unified diff of each resource's YAML", func() {
		out := fleet("snapshots", placement, "--diff", "1")
		Expect(out).To(Equal(`# ClusterResourcePlacement snapshots-web, resource snapshot index 0 -> 1: 1 changed, 1 added, 1 removed, 1 unchanged
# changed: ConfigMap/web/web-config
--- 0/ConfigMap/web/web-config
+++ 1/ConfigMap/web/web-config
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  color: blue
+  color: green
   size: large
 kind: ConfigMap
 metadata:
# added: Deployment.apps/web/web
--- /dev/null
+++ 1/Deployment.apps/web/web
@@ -0,0 +1,7 @@
+apiVersion: apps/v1
+kind: Deployment
+metadata:
+  name: web
+  namespace: web
+spec:
+  replicas: 3
# removed: ClusterRole.rbac.authorization.k8s.io/web-reader
--- 0/ClusterRole.rbac.authorization.k8s.io/web-reader
+++ /dev/null
@@ -1,11 +0,0 @@
-apiVersion: rbac.authorization.k8s.io/v1
-kind: ClusterRole
-metadata:
-  name: web-reader
-rules:
-- apiGroups:
-  - ""
-  resources:
-  - configmaps
-  verbs:
-  - get
`))

		By("naming both indices, in one flag or two")
		Expect(fleet("snapshots", placement, "--diff", "0,1")).To(Equal(out))
		Expect(fleet("snapshots", placement, "--diff", "0", "--diff", "1")).To(Equal(out))

		By("comparing backwards, as a rollback would change things")
		back := fleet("snapshots", placement, "--diff", "1,0")
		Expect(back).To(HavePrefix("# ClusterResourcePlacement snapshots-web, resource snapshot index 1 -> 0: 1 changed, 1 added, 1 removed, 1 unchanged\n"))
		Expect(back).To(ContainSubstring("-  color: green\n+  color: blue\n"))
		Expect(strings.Count(back, "# removed: Deployment.apps/web/web\n")).To(Equal(1))
	})

	It("names the indices there are when asked for one there is not", func() {
		Expect(fleetFails("snapshots", placement, "--diff", "0,7")).To(MatchError(`ClusterResourcePlacement "snapshots-web" has no resource snapshot index 7; its indices are 0, 1`))
	})

	It("fails for a placement that does not exist", func() {
		Expect(fleetFails("snapshots", "no-such-placement")).To(MatchError(`ClusterResourcePlacement "no-such-placement" not found`))
	})
})
