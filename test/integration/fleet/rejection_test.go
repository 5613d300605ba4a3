package fleet

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// widgetCRD is a custom resource definition installed on the hub only.
const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                color:
                  type: string
`

// widgetResources is a namespace holding a config map and a Widget.
const widgetResources = `
apiVersion: v1
kind: Namespace
metadata:
  name: widgets
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: widget-config
  namespace: widgets
data:
  color: blue
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: blue
  namespace: widgets
spec:
  color: blue
`

// widgetPlacement places the widgets namespace with everything in it.
const widgetPlacement = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: widget-placement
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: widgets
      version: v1
  policy:
    placementType: PickAll
  strategy:
    type: External
`

// allAtOnce updates every cluster of the fleet in one stage, all at once.
const allAtOnce = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: all-at-once
spec:
  stages:
    - name: everyone
      maxConcurrency: 100%
      labelSelector:
        matchExpressions:
          - key: environment
            operator: Exists
`

const widgetRun = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: widget-run
spec:
  placementName: widget-placement
  resourceSnapshotIndex: "0"
  stagedRolloutStrategyName: all-at-once
`

// noWidgetKind is how a member's API server rejects a Widget.
const noWidgetKind = `no matches for kind "Widget" in version "example.com/v1"`

var _ = Describe("A manifest the member clusters reject", Ordered, func() {
	const crp = "widget-placement"
	widget := placementv1beta1.ResourceIdentifier{Group: "example.com", Version: "v1", Kind: "Widget", Name: "blue", Namespace: "widgets"}

	BeforeAll(func() {
		kubectl(widgetCRD, "apply", "-f", "-")
		kubectl("", "wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.example.com")
		kubectl(widgetResources, "apply", "-f", "-")
		kubectl(widgetPlacement, "apply", "-f", "-")
		Eventually(func(g Gomega) {
			g.Expect(getCRP(g, crp).Status.PerClusterPlacementStatuses).To(HaveLen(len(members)))
			snapshot := &placementv1beta1.ClusterResourceSnapshot{}
			g.Expect(hubClient.Get(ctx, client.ObjectKey{Name: crp + "-0-snapshot"}, snapshot)).To(Succeed())
			g.Expect(snapshot.Spec.SelectedResources).To(HaveLen(3), "the namespace, its config map and the Widget")
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		kubectl(allAtOnce, "apply", "-f", "-")
		kubectl(widgetRun, "apply", "-f", "-")
	})

	It("fails the Work with the member's message and applies the rest", func() {
		Eventually(func(g Gomega) {
			for _, m := range members {
				work := workOf(g, crp, m)
				applied := currentCondition(work.Status.Conditions, string(placementv1beta1.WorkConditionTypeApplied), work.Generation)
				g.Expect(applied).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.WorkNotAllManifestsAppliedReason), m.name)
				g.Expect(applied.Message).To(And(ContainSubstring("2 of 3 manifests are applied"), ContainSubstring(noWidgetKind)), m.name)
				g.Expect(configMapOn(g, m, "widgets", "widget-config")).NotTo(BeNil(), m.name)
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("reports Applied=False on every binding, with the Widget as a failed placement", func() {
		Eventually(func(g Gomega) {
			for _, m := range members {
				b := bindingOf(g, crp, m.name)
				applied := currentCondition(b.Status.Conditions, string(placementv1beta1.ResourceBindingApplied), b.Generation)
				g.Expect(applied).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason), m.name)
				g.Expect(applied.Message).To(And(ContainSubstring(crp+"-work"), ContainSubstring(noWidgetKind)), m.name)
				g.Expect(b.Status.FailedPlacements).To(HaveExactElements(failedWidget(widget)), m.name)
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("shows the failure in the placement's status, for each cluster", func() {
		Eventually(func(g Gomega) {
			p := getCRP(g, crp)
			g.Expect(p.Status.ObservedResourceIndex).To(Equal("0"))
			applied := currentCondition(p.Status.Conditions, string(placementv1beta1.ClusterResourcePlacementApplied), p.Generation)
			g.Expect(applied).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.PlacementApplyFailedReason))
			g.Expect(applied.Message).To(Equal(fmt.Sprintf("Failed to apply the selected resources to %d cluster(s)", len(members))))
			g.Expect(p.GetCondition(string(placementv1beta1.ClusterResourcePlacementAvailable))).To(BeNil())
			for _, m := range members {
				pc := perCluster(g, p, m.name)
				c := currentCondition(pc.Conditions, string(placementv1beta1.ResourceBindingApplied), p.Generation)
				g.Expect(c).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.BindingNotAllWorkAppliedReason), m.name)
				g.Expect(c.Message).To(ContainSubstring(noWidgetKind), m.name)
				g.Expect(pc.FailedPlacements).To(HaveExactElements(failedWidget(widget)), m.name)
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(framework.Table(kubectl("", "get", "crp", crp))).To(HaveExactElements(
			crpHeader,
			HaveExactElements(crp, "1", "True", "1", Not(BeEmpty())), // AVAILABLE and AVAILABLE-GEN blank
		))
	})

	It("reports the update run stuck, naming the clusters", func() {
		Eventually(func(g Gomega) {
			run := getRun(g, "widget-run")
			progressing := currentCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionProgressing), run.Generation)
			g.Expect(progressing).To(haveStatusAndReason(metav1.ConditionFalse, placementv1beta1.UpdateRunStuckReason))
			g.Expect(progressing.Message).To(And(ContainSubstring(`stage "everyone"`),
				ContainSubstring("member1"), ContainSubstring("member2"), ContainSubstring("member3")))
			g.Expect(meta.FindStatusCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded))).To(BeNil())
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(framework.Table(kubectl("", "get", "crsur", "widget-run"))).To(HaveExactElements(
			runHeader,
			HaveExactElements("widget-run", crp, "0", "0", "True", Not(BeEmpty())), // SUCCEEDED blank
		))
	})

	It("deletes nothing on the members because of it", func() {
		Consistently(func(g Gomega) {
			for _, m := range members {
				g.Expect(namespaceOn(g, m, "widgets")).To(BeTrue(), m.name)
				g.Expect(configMapOn(g, m, "widgets", "widget-config")).To(HaveField("Data", HaveKeyWithValue("color", "blue")), m.name)
				aw := &placementv1beta1.AppliedWork{}
				g.Expect(m.client.Get(ctx, client.ObjectKey{Name: crp + "-work"}, aw)).To(Succeed())
				g.Expect(aw.Status.AppliedResources).To(HaveLen(2), m.name)
			}
		}).WithTimeout(quiet).WithPolling(interval).Should(Succeed())
	})
})

// failedWidget matches the failed placement a member reports for the Widget.
func failedWidget(id placementv1beta1.ResourceIdentifier) OmegaMatcher {
	return And(
		HaveField("ResourceIdentifier", id),
		HaveField("Condition.Type", string(placementv1beta1.WorkConditionTypeApplied)),
		HaveField("Condition.Status", metav1.ConditionFalse),
		HaveField("Condition.Reason", placementv1beta1.ManifestApplyFailedReason),
		HaveField("Condition.Message", ContainSubstring(noWidgetKind)),
	)
}
