// Package charts installs the Helm charts with helm into a real API server,
// as an operator would: the fleet CRDs become Established; the hub agent's
// ServiceAccount holds every rule its +kubebuilder:rbac markers ask for and
// nothing it does not need, and the hub agent runs the fleet with nothing
// more; the member agent's chart installs its CRD and rights; and
// uninstalling keeps the fleet's APIs and objects.
package charts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/test/charts"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

const (
	// timeout bounds every wait; generous, for 2 busy cores.
	timeout  = 60 * time.Second
	interval = 200 * time.Millisecond
)

var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	k8sClient  client.Client
	clientset  *kubernetes.Clientset
	kubeconfig string
	helm       *charts.Helm
	workDir    string
	ctx        context.Context
	cancel     context.CancelFunc
)

func TestCharts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Helm charts suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	workDir = GinkgoT().TempDir()
	// Before the API server, so that a missing helm skips or fails at once.
	helm = charts.NewHelm(GinkgoT(), filepath.Join(workDir, "helm"))

	// No CRDs: the charts install them.
	testEnv, cfg = framework.StartAPIServer(false)
	kubeconfig = framework.WriteAdminKubeconfig(testEnv, workDir)

	scheme := hubagent.NewScheme()
	utilruntime.Must(apiextensionsv1.AddToScheme(scheme))
	var err error
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// helmRun runs helm against the API server and fails the spec, with helm's
// output, when it fails.
func helmRun(args ...string) string {
	GinkgoHelper()
	out, stderr, err := helm.Run(append(args, "--kubeconfig", kubeconfig)...)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("helm %v:\n%s%s", args, out, stderr)
	return out
}

// writeFile writes content into the suite's directory and returns the path.
func writeFile(name string, content []byte) string {
	GinkgoHelper()
	path := filepath.Join(workDir, name)
	Expect(os.WriteFile(path, content, 0o600)).To(Succeed())
	return path
}
