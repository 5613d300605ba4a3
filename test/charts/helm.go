// Package charts tests the Helm charts in charts/ with the pinned helm binary
// (bin/helm, which `make test` builds from hack/tools): lint, golden
// renderings, the values schema, the generated CRD and RBAC templates, and the
// READMEs. Its helpers also run helm for the envtest suite that installs the
// charts (test/integration/charts).
package charts

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Release and Namespace are the release name and namespace the tests render
// and install the charts with.
const (
	Release   = "flotilla"
	Namespace = "fleet-system"
)

// RepoRoot returns the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ChartDir returns the directory of the chart named name (hub-agent,
// member-agent).
func ChartDir(name string) string {
	return filepath.Join(RepoRoot(), "charts", name)
}

// RenderCase is one rendering of a chart the tests check: its golden file is
// test/charts/testdata/<Name>.golden.
type RenderCase struct {
	Name  string
	Chart string
	// Args are helm template's arguments after the chart (values).
	Args []string
}

// RenderCases returns the renderings the tests check: each chart with its
// defaults (or the least it needs) and with every option set.
func RenderCases() []RenderCase {
	testdata := filepath.Join(RepoRoot(), "test", "charts", "testdata")
	ci := filepath.Join(ChartDir("member-agent"), "ci")
	return []RenderCase{
		{Name: "hub-agent-defaults", Chart: "hub-agent"},
		{Name: "hub-agent-ha", Chart: "hub-agent", Args: []string{"-f", filepath.Join(testdata, "hub-agent-ha.values.yaml")}},
		{Name: "hub-agent-external-crds", Chart: "hub-agent",
			Args: []string{"--set", "crds.install=false", "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=fleet-hub"}},
		{Name: "member-agent-token", Chart: "member-agent", Args: []string{"-f", filepath.Join(ci, "token-values.yaml")}},
		{Name: "member-agent-kubeconfig", Chart: "member-agent", Args: []string{"-f", filepath.Join(testdata, "member-agent-kubeconfig.values.yaml")}},
	}
}

// Template runs helm template on c as release in namespace and returns the
// manifests.
func (h *Helm) Template(release, namespace string, c RenderCase) (string, error) {
	out, _, err := h.Run(append([]string{"template", release, ChartDir(c.Chart), "--namespace", namespace}, c.Args...)...)
	return out, err
}

// TB is what the helpers need of a test: *testing.T and GinkgoT() both have it.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// HelmBinary returns the helm binary the tests run: $HELM, or bin/helm. When
// it is missing the test fails if make runs it (make test builds bin/helm
// first, so a missing one is a bug) and is skipped, saying how to get it,
// otherwise.
func HelmBinary(t TB) string {
	t.Helper()
	path := os.Getenv("HELM")
	if path == "" {
		path = filepath.Join(RepoRoot(), "bin", "helm")
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("MAKELEVEL") != "" {
			t.Fatalf("helm is missing at %s although make runs the tests: the test target should build it first (%v)", path, err)
		}
		t.Skipf("helm is missing at %s: build it with `make bin/helm` (`make test` does), or point HELM at a helm binary", path)
	}
	return path
}

// Helm runs helm with its configuration, cache and data in a directory of
// its own, so tests neither read nor write the user's helm settings.
type Helm struct {
	bin string
	env []string
}

// NewHelm returns a Helm keeping its state under home (a test's temporary
// directory).
func NewHelm(t TB, home string) *Helm {
	t.Helper()
	env := os.Environ()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		env = append(env, v+"="+filepath.Join(home, v))
	}
	// None of the user's plugins either.
	env = append(env, "HELM_PLUGINS="+filepath.Join(home, "plugins"), "HELM_NO_PLUGINS=1")
	return &Helm{bin: HelmBinary(t), env: env}
}

// Run runs helm with args and returns its standard output and error; err is
// non-nil when helm exits non-zero.
func (h *Helm) Run(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), errOut.String(), fmt.Errorf("helm %v: %w: %s", args, err, errOut.String())
	}
	return out.String(), errOut.String(), nil
}
