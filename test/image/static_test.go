// Package image checks the container image's build: the binaries
// hack/image/build.sh produces (the script the Dockerfile runs) are static,
// stamped with the version, and each Dockerfile target ships one of them on
// the distroless non-root base. Docker itself is not needed.
package image

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const version = "v0.0.0-static-test"

// agents maps each Dockerfile target to the binary it ships.
var agents = []struct {
	target, binary, usage string
}{
	{target: "hub-agent", binary: "hubagent", usage: "Flotilla hub agent " + version},
	{target: "member-agent", binary: "memberagent", usage: "Flotilla member agent " + version},
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestBuiltBinariesAreStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both agents")
	}
	root := repoRoot(t)
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "hack", "image", "build.sh"), out, version)
	// The race detector's CGO_ENABLED=1 must not leak into the image build.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/image/build.sh: %v\n%s", err, b)
	}

	for _, a := range agents {
		t.Run(a.binary, func(t *testing.T) {
			path := filepath.Join(out, a.binary)
			f, err := elf.Open(path)
			if err != nil {
				t.Fatalf("opening %s: %v", path, err)
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
					t.Errorf("%s has a %s program header: it is dynamically linked", a.binary, p.Type)
				}
			}
			libs, err := f.ImportedLibraries()
			if err != nil {
				t.Fatalf("reading the imported libraries of %s: %v", a.binary, err)
			}
			if len(libs) > 0 {
				t.Errorf("%s needs shared libraries %v", a.binary, libs)
			}

			// The usage line carries the version stamped at link time.
			var usage bytes.Buffer
			help := exec.Command(path, "-h")
			help.Stdout, help.Stderr = &usage, &usage
			_ = help.Run() // -h exits non-zero with the flag package
			if !strings.Contains(usage.String(), a.usage) {
				t.Errorf("%s -h does not print %q:\n%s", a.binary, a.usage, usage.String())
			}
		})
	}
}

func TestDockerfileShipsEachAgentOnDistrolessNonRoot(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	if !regexp.MustCompile(`(?m)^RUN \./hack/image/build\.sh /out "\$\{VERSION\}"$`).MatchString(dockerfile) {
		t.Error("the Dockerfile must build the binaries with hack/image/build.sh /out \"${VERSION}\"")
	}
	for _, a := range agents {
		// Each target's stage, up to the next FROM.
		stage := regexp.MustCompile(`(?ms)^FROM gcr\.io/distroless/static:nonroot AS ` + regexp.QuoteMeta(a.target) + `$(.*?)(?:^FROM |\z)`).
			FindStringSubmatch(dockerfile)
		if stage == nil {
			t.Errorf("no stage %q FROM gcr.io/distroless/static:nonroot", a.target)
			continue
		}
		for _, want := range []string{
			"COPY --from=build /out/" + a.binary + " /" + a.binary,
			"USER 65532:65532",
			`ENTRYPOINT ["/` + a.binary + `"]`,
		} {
			if !strings.Contains(stage[1], want) {
				t.Errorf("stage %s lacks %q", a.target, want)
			}
		}
	}
}
