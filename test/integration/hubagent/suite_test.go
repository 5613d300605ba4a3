// Package hubagent tests the hub agent binary against a real API server: it
// must refuse to start, naming what is missing, when the CRDs are not
// installed, and start and report ready once they are.
package hubagent

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	kubeconfig string
	hubagent   string
	ctx        context.Context
	cancel     context.CancelFunc
)

func TestHubAgent(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Hub agent suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())

	// No CRDs at start: the first spec checks the refusal.
	testEnv, cfg = framework.StartAPIServer(false)
	dir := GinkgoT().TempDir()
	kubeconfig = framework.WriteAdminKubeconfig(testEnv, dir)

	hubagent = filepath.Join(dir, "hubagent")
	build := exec.CommandContext(ctx, "go", "build", "-o", hubagent, "github.com/flotilla-dev/flotilla/cmd/hubagent")
	build.Stdout, build.Stderr = GinkgoWriter, GinkgoWriter
	Expect(build.Run()).To(Succeed())
})

var _ = AfterSuite(func() {
	cancel()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
