package localfleet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// K8sVersion is the version of the control-plane binaries the fleet runs, as
// built by `make localfleet-tools` into bin/k8s/<version>-<os>-<arch>/.
const K8sVersion = "1.37.2"

// Binary names the fleet runs. hubagent and memberagent come from
// `make build`; the others from `make localfleet-tools` (and `make envtest`).
const (
	EtcdBinary                  = "etcd"
	KubeAPIServerBinary         = "kube-apiserver"
	KubeControllerManagerBinary = "kube-controller-manager"
	KubeSchedulerBinary         = "kube-scheduler"
	KwokBinary                  = "kwok"
	HubAgentBinary              = "hubagent"
	MemberAgentBinary           = "memberagent"
)

// kwokStagesDir is where `make localfleet-tools` copies kwok's Stage
// manifests, next to the kwok binary.
const kwokStagesDir = "kwok-stages"

// hubName names the hub's directory, logs and processes.
const hubName = "hub"

// MemberSpec describes one member cluster of the fleet.
type MemberSpec struct {
	// Name is the member cluster's name: its MemberCluster on the hub.
	Name string
	// Labels are the MemberCluster's labels, which placements and update
	// run strategies select on.
	Labels map[string]string
}

// Config says where the fleet keeps its state and which members it has.
type Config struct {
	// Dir is the state directory: kubeconfigs, logs, certificates, etcd data
	// (e.g. .localfleet/ in the repository, which git ignores). Start wipes
	// what an earlier fleet left there.
	Dir string
	// BinDir holds hubagent and memberagent (`make build`); the control-plane
	// binaries are looked up there and then in BinDir/k8s/<version>-<os>-<arch>
	// (`make localfleet-tools`). Default: bin.
	BinDir string
	// Members are the member clusters. Default: DefaultMembers().
	Members []MemberSpec
	// CRDDir holds Flotilla's CRDs. Default: config/crd/bases of the
	// repository holding the working directory.
	CRDDir string
	// Log receives progress lines. Default: io.Discard.
	Log io.Writer
	// HubAgentArgs are extra flags for the hub agent, e.g.
	// --update-run-stuck-threshold=30s.
	HubAgentArgs []string
	// HubAgentReplicas is how many hub agents run. With more than one they
	// elect a leader (the Lease flotilla-hub-agent in fleet-system), as the
	// chart's replicas do; one runs without leader election. Default: 1.
	HubAgentReplicas int
}

// DefaultMembers returns the tutorial's three members: two canary clusters
// ordered by their "order" label and one staging cluster.
func DefaultMembers() []MemberSpec {
	return []MemberSpec{
		{Name: "member1", Labels: map[string]string{"environment": "canary", "order": "2"}},
		{Name: "member2", Labels: map[string]string{"environment": "staging"}},
		{Name: "member3", Labels: map[string]string{"environment": "canary", "order": "1"}},
	}
}

// MembersByCount returns n members named member1..memberN; those that are
// among DefaultMembers keep their labels.
func MembersByCount(n int) []MemberSpec {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("member%d", i+1)
	}
	return MembersByName(names)
}

// MembersByName returns members with the given names; those that are among
// DefaultMembers keep their labels, the others have none.
func MembersByName(names []string) []MemberSpec {
	defaults := DefaultMembers()
	members := make([]MemberSpec, 0, len(names))
	for _, name := range names {
		m := MemberSpec{Name: name}
		if i := slices.IndexFunc(defaults, func(d MemberSpec) bool { return d.Name == name }); i >= 0 {
			m.Labels = defaults[i].Labels
		}
		members = append(members, m)
	}
	return members
}

// withDefaults returns cfg with every unset field defaulted and its paths
// made absolute, or an error if it cannot describe a fleet.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Dir == "" {
		return cfg, errors.New("the state directory (Dir) is required")
	}
	if cfg.BinDir == "" {
		cfg.BinDir = "bin"
	}
	if cfg.Members == nil {
		cfg.Members = DefaultMembers()
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.HubAgentReplicas < 0 {
		return cfg, fmt.Errorf("hub agent replicas must not be negative, got %d", cfg.HubAgentReplicas)
	}
	if cfg.HubAgentReplicas == 0 {
		cfg.HubAgentReplicas = 1
	}
	if cfg.CRDDir == "" {
		dir, err := FindCRDDir()
		if err != nil {
			return cfg, err
		}
		cfg.CRDDir = dir
	}
	for _, p := range []*string{&cfg.Dir, &cfg.BinDir, &cfg.CRDDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return cfg, err
		}
		*p = abs
	}
	return cfg, validateMembers(cfg.Members)
}

// validateMembers checks that member names are usable as DNS labels (they
// name hub namespaces fleet-member-<name>), unique and not the hub's name.
func validateMembers(members []MemberSpec) error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range members {
		for _, msg := range validation.IsDNS1123Label(m.Name) {
			errs = append(errs, fmt.Errorf("member name %q: %s", m.Name, msg))
		}
		if m.Name == hubName {
			errs = append(errs, fmt.Errorf("member name %q is reserved for the hub", m.Name))
		}
		if seen[m.Name] {
			errs = append(errs, fmt.Errorf("member name %q appears twice", m.Name))
		}
		seen[m.Name] = true
		for k, v := range m.Labels {
			for _, msg := range validation.IsQualifiedName(k) {
				errs = append(errs, fmt.Errorf("member %q: label key %q: %s", m.Name, k, msg))
			}
			for _, msg := range validation.IsValidLabelValue(v) {
				errs = append(errs, fmt.Errorf("member %q: label %q value %q: %s", m.Name, k, v, msg))
			}
		}
	}
	return errors.Join(errs...)
}

// FindCRDDir walks up from the working directory to the first directory
// holding config/crd/bases.
func FindCRDDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "config", "crd", "bases")
		if fi, err := os.Stat(candidate); err == nil && fi.IsDir() {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no config/crd/bases in %s or above it; set CRDDir", wd)
		}
	}
}

// ToolDir is where `make localfleet-tools` puts the control-plane binaries.
func ToolDir(binDir string) string {
	return filepath.Join(binDir, "k8s", fmt.Sprintf("%s-%s-%s", K8sVersion, runtime.GOOS, runtime.GOARCH))
}

// MissingBinaryError names binaries the fleet needs that are not built.
type MissingBinaryError struct {
	// Names are the missing binaries.
	Names []string
	// Searched are the directories looked in.
	Searched []string
}

func (e *MissingBinaryError) Error() string {
	return fmt.Sprintf("missing %s in %s; build them with `make build localfleet-tools`",
		strings.Join(e.Names, ", "), strings.Join(e.Searched, " and "))
}

// binaries resolves the path of every binary the fleet runs, and of kwok's
// stage manifests. It returns a *MissingBinaryError naming what is missing.
func binaries(binDir string) (map[string]string, error) {
	dirs := []string{binDir, ToolDir(binDir)}
	paths := map[string]string{}
	var missing []string
	for _, name := range []string{EtcdBinary, KubeAPIServerBinary, KubeControllerManagerBinary,
		KubeSchedulerBinary, KwokBinary, HubAgentBinary, MemberAgentBinary, kwokStagesDir} {
		found := false
		for _, dir := range dirs {
			p := filepath.Join(dir, name)
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if (name == kwokStagesDir && fi.IsDir()) || (fi.Mode().IsRegular() && fi.Mode()&0o111 != 0) {
				paths[name] = p
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingBinaryError{Names: missing, Searched: dirs}
	}
	return paths, nil
}
