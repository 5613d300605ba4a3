package framework

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Kubectl runs the kubectl built for envtest with kubeconfig, feeding it
// stdin (as in `kubectl apply -f - << EOF`), and returns its standard output.
// A non-zero exit fails the spec with kubectl's standard error.
func Kubectl(ctx context.Context, kubeconfig, stdin string, args ...string) string {
	GinkgoHelper()
	bin := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	var stderr []byte
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
		stderr = exitErr.Stderr
	}
	Expect(err).NotTo(HaveOccurred(), "kubectl %v: %s", args, stderr)
	return string(out)
}

// Table splits kubectl's tabular output into rows of fields. Blank columns
// disappear, so compare whole rows.
func Table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}
