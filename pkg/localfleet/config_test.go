package localfleet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultMembers(t *testing.T) {
	want := []MemberSpec{
		{Name: "member1", Labels: map[string]string{"environment": "canary", "order": "2"}},
		{Name: "member2", Labels: map[string]string{"environment": "staging"}},
		{Name: "member3", Labels: map[string]string{"environment": "canary", "order": "1"}},
	}
	if diff := cmp.Diff(want, DefaultMembers()); diff != "" {
		t.Errorf("DefaultMembers() (-want,+got):\n%s", diff)
	}
}

func TestMembersByCount(t *testing.T) {
	cases := map[string]struct {
		n    int
		want []MemberSpec
	}{
		"no member makes a hub-only fleet": {n: 0, want: []MemberSpec{}},
		"one member is the tutorial's member1": {
			n:    1,
			want: []MemberSpec{{Name: "member1", Labels: map[string]string{"environment": "canary", "order": "2"}}},
		},
		"members past the tutorial's three have no labels": {
			n:    4,
			want: append(DefaultMembers(), MemberSpec{Name: "member4"}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, MembersByCount(tc.n)); diff != "" {
				t.Errorf("MembersByCount(%d) (-want,+got):\n%s", tc.n, diff)
			}
		})
	}
}

func TestMembersByName(t *testing.T) {
	got := MembersByName([]string{"member3", "edge"})
	want := []MemberSpec{
		{Name: "member3", Labels: map[string]string{"environment": "canary", "order": "1"}},
		{Name: "edge"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MembersByName (-want,+got):\n%s", diff)
	}
}

func TestConfigWithDefaults(t *testing.T) {
	crdDir := t.TempDir()
	got, err := Config{Dir: "state", CRDDir: crdDir}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got.Dir != filepath.Join(wd, "state") {
		t.Errorf("Dir = %q, want it made absolute", got.Dir)
	}
	if got.BinDir != filepath.Join(wd, "bin") {
		t.Errorf("BinDir = %q, want bin made absolute", got.BinDir)
	}
	if diff := cmp.Diff(DefaultMembers(), got.Members); diff != "" {
		t.Errorf("Members (-want,+got):\n%s", diff)
	}
	if got.Log != io.Discard {
		t.Errorf("Log = %v, want io.Discard", got.Log)
	}
	if got.HubAgentReplicas != 1 {
		t.Errorf("HubAgentReplicas = %d, want 1", got.HubAgentReplicas)
	}
}

func TestConfigWithDefaultsFindsTheRepositoryCRDs(t *testing.T) {
	got, err := Config{Dir: t.TempDir()}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	if _, err := os.Stat(filepath.Join(got.CRDDir, appliedWorkCRDFile)); err != nil {
		t.Errorf("CRDDir = %q does not hold the AppliedWork CRD: %v", got.CRDDir, err)
	}
}

func TestConfigWithDefaultsRejects(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"a config without a state directory": {
			cfg:  Config{},
			want: "state directory (Dir) is required",
		},
		"a member name that is not a DNS label": {
			cfg:  Config{Dir: "d", Members: []MemberSpec{{Name: "Member_1"}}},
			want: `member name "Member_1"`,
		},
		"a member named like the hub": {
			cfg:  Config{Dir: "d", Members: []MemberSpec{{Name: "hub"}}},
			want: "reserved for the hub",
		},
		"two members with one name": {
			cfg:  Config{Dir: "d", Members: []MemberSpec{{Name: "a"}, {Name: "a"}}},
			want: `member name "a" appears twice`,
		},
		"a negative number of hub agents": {
			cfg:  Config{Dir: "d", HubAgentReplicas: -1},
			want: "hub agent replicas must not be negative, got -1",
		},
		"a label value with a space": {
			cfg:  Config{Dir: "d", Members: []MemberSpec{{Name: "a", Labels: map[string]string{"env": "not valid"}}}},
			want: `label "env" value "not valid"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.cfg.CRDDir = t.TempDir()
			_, err := tc.cfg.withDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("withDefaults() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBinaries(t *testing.T) {
	binDir := t.TempDir()
	tools := ToolDir(binDir)
	for _, p := range []string{
		filepath.Join(binDir, HubAgentBinary),
		filepath.Join(binDir, MemberAgentBinary),
		filepath.Join(tools, EtcdBinary),
		filepath.Join(tools, KubeAPIServerBinary),
		filepath.Join(tools, KwokBinary),
	} {
		writeExecutable(t, p)
	}
	// Not executable: does not count.
	if err := os.WriteFile(filepath.Join(tools, KubeSchedulerBinary), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := binaries(binDir)
	var missing *MissingBinaryError
	if !errors.As(err, &missing) {
		t.Fatalf("binaries() error = %v, want a *MissingBinaryError", err)
	}
	want := []string{KubeControllerManagerBinary, KubeSchedulerBinary, kwokStagesDir}
	if diff := cmp.Diff(want, missing.Names); diff != "" {
		t.Errorf("missing binaries (-want,+got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "make build localfleet-tools") {
		t.Errorf("error %q does not say how to build the binaries", err)
	}

	writeExecutable(t, filepath.Join(tools, KubeControllerManagerBinary))
	writeExecutable(t, filepath.Join(binDir, KubeSchedulerBinary)) // BinDir wins over the tool directory
	if err := os.MkdirAll(filepath.Join(tools, kwokStagesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := binaries(binDir)
	if err != nil {
		t.Fatalf("binaries(): %v", err)
	}
	if got[KubeSchedulerBinary] != filepath.Join(binDir, KubeSchedulerBinary) {
		t.Errorf("kube-scheduler resolved to %q, want the one in BinDir", got[KubeSchedulerBinary])
	}
	if got[EtcdBinary] != filepath.Join(tools, EtcdBinary) {
		t.Errorf("etcd resolved to %q, want the one in the tool directory", got[EtcdBinary])
	}
}

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
