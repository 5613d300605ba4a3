// Package framework starts what the envtest integration suites share: an API
// server (with Flotilla's generated CRDs, or without them), an admin
// kubeconfig for kubectl and binaries, and a manager running the
// controllers under test.
package framework

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// CRDPath is the directory of the generated CRDs.
func CRDPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "config", "crd", "bases")
}

// StartAPIServer starts an API server, with the generated CRDs installed when
// withCRDs is set, and returns it with its rest config. Stop it in AfterSuite.
func StartAPIServer(withCRDs bool) (*envtest.Environment, *rest.Config) {
	GinkgoHelper()
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	env := &envtest.Environment{}
	if withCRDs {
		env.CRDDirectoryPaths = []string{CRDPath()}
		env.ErrorIfCRDPathMissing = true
	}
	cfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred())
	return env, cfg
}

// NewClient returns a client for cfg that knows Flotilla's kinds.
func NewClient(cfg *rest.Config) client.Client {
	GinkgoHelper()
	c, err := client.New(cfg, client.Options{Scheme: hubagent.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// WriteAdminKubeconfig writes a kubeconfig of a system:masters user of env
// into dir and returns its path.
func WriteAdminKubeconfig(env *envtest.Environment, dir string) string {
	GinkgoHelper()
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	data, err := admin.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, "kubeconfig")
	Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
	return path
}

// StartManager runs a hub manager with the controllers setup registers until
// ctx is done. Its cache is shaped as the hub agent's (cmd/hubagent), so the
// controllers read what they read there.
func StartManager(ctx context.Context, cfg *rest.Config, setup func(ctrl.Manager) error) {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  hubagent.NewScheme(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   cache.Options{DefaultTransform: hubagent.CacheTransform()},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(setup(mgr)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
}
