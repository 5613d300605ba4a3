package charts

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flotilla-dev/flotilla/test/charts"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

var _ = Describe("Every rendering test/charts checks", func() {
	It("passes the API server's validation, as kubectl apply --dry-run=server", func() {
		// A release and namespace of their own: the other specs' releases
		// must not turn these creations into patches.
		const release, namespace = "dry-run", "dry-run-system"
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})).To(Succeed())
		for _, c := range charts.RenderCases() {
			By(c.Name)
			out, err := helm.Template(release, namespace, c)
			Expect(err).NotTo(HaveOccurred())
			// The API server has no monitoring.coreos.com CRDs.
			var docs []string
			for _, doc := range strings.Split(out, "\n---\n") {
				if !strings.Contains(doc, "\nkind: ServiceMonitor\n") {
					docs = append(docs, doc)
				}
			}
			applied := framework.Kubectl(ctx, kubeconfig, strings.Join(docs, "\n---\n"), "apply", "--dry-run=server", "-f", "-")
			Expect(strings.Count(applied, "(server dry run)")).To(Equal(len(docs)), "kubectl apply:\n%s", applied)
		}
	})
})
