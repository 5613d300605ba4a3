package e2e

import (
	"fmt"

	"github.com/flotilla-dev/flotilla/test/integration/framework"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// webApp is a namespace with an nginx Deployment of two replicas and a
// Service in front of it, as YAML for kubectl apply.
func webApp(namespace, image string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: %[2]s
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: %[1]s
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 80
`, namespace, image)
}

// twoStages updates staging, then both canary members at once, without gates.
const twoStages = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: two-stages
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      maxConcurrency: 2
`

// deploymentOn returns "<ready replicas>/<replicas> Available=<status>" for
// a Deployment on a member, or "" if it does not exist there.
func deploymentOn(member, namespace, name string) func(Gomega) string {
	return func(g Gomega) string {
		d := &appsv1.Deployment{}
		err := members[member].Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, d)
		if client.IgnoreNotFound(err) == nil && err != nil {
			return ""
		}
		g.Expect(err).NotTo(HaveOccurred())
		available := "Unknown"
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable {
				available = string(c.Status)
			}
		}
		return fmt.Sprintf("%d/%d Available=%s", d.Status.ReadyReplicas, *d.Spec.Replicas, available)
	}
}

var _ = Describe("A Deployment and a Service rolled out through two stages", Ordered, func() {
	const crp, ns = "web", "web"

	AfterAll(func() {
		deleteRunsAndPlacement(crp, "web-run")
		kubectl("", "delete", "ns", ns, "--ignore-not-found")
	})

	It("runs on every member, its pods ready, once the run succeeds", func() {
		apply(webApp(ns, "nginx:1.27"))
		apply(framework.ExternalPlacementYAML(crp, ns, framework.PickAll))
		apply(twoStages)
		Eventually(func() error {
			return hub.Get(ctx, client.ObjectKey{Name: crp + "-0-snapshot"}, &placementv1beta1.ClusterResourceSnapshot{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		apply(framework.UpdateRunYAML("web-run", crp, "0", "two-stages"))
		waitForRun("web-run", placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, "UpdateRunSucceeded")

		for _, m := range memberNames {
			Expect(deploymentOn(m, ns, "web")(Default)).To(Equal("2/2 Available=True"), m)
			svc := &corev1.Service{}
			Expect(members[m].Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc)).To(Succeed(), m)
			Expect(svc.Spec.ClusterIP).NotTo(BeEmpty(), "the member's API server allocated the Service an IP on %s", m)
		}
		run := &placementv1beta1.ClusterStagedUpdateRun{}
		Expect(hub.Get(ctx, client.ObjectKey{Name: "web-run"}, run)).To(Succeed())
		canary := run.Status.StagesStatus[1]
		Expect(canary.Clusters).To(HaveLen(2))
		Expect(meta.IsStatusConditionTrue(canary.Conditions, "Succeeded")).To(BeTrue())
		secondStarted := meta.FindStatusCondition(canary.Clusters[1].Conditions, "Started").LastTransitionTime
		firstSucceeded := meta.FindStatusCondition(canary.Clusters[0].Conditions, "Succeeded").LastTransitionTime
		Expect(secondStarted.Time).NotTo(BeTemporally(">", firstSucceeded.Time),
			"with maxConcurrency 2 both canary members start before either finishes")
	})
})
