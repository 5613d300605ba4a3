package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

func TestParseMembers(t *testing.T) {
	cases := map[string]struct {
		flag    string
		want    []localfleet.MemberSpec
		wantErr bool
	}{
		"a count names member1..memberN": {
			flag: "2",
			want: localfleet.DefaultMembers()[:2],
		},
		"names keep the tutorial's labels where they have some": {
			flag: "member2, edge",
			want: []localfleet.MemberSpec{localfleet.DefaultMembers()[1], {Name: "edge"}},
		},
		"a negative count is refused":     {flag: "-1", wantErr: true},
		"a list without names is refused": {flag: " , ", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseMembers(tc.flag)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseMembers(%q) error = %v, want error: %t", tc.flag, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseMembers(%q) (-want,+got):\n%s", tc.flag, diff)
			}
		})
	}
}

func TestLabelString(t *testing.T) {
	if got := labelString(map[string]string{"order": "2", "environment": "canary"}); got != "environment=canary,order=2" {
		t.Errorf("labelString = %q, want keys in order", got)
	}
	if got := labelString(nil); got != "no labels" {
		t.Errorf("labelString(nil) = %q", got)
	}
}

func TestParseOptionsCollectsHubAgentArgs(t *testing.T) {
	o, err := parseOptions("up", []string{"--hub-agent-arg=--pprof-bind-address=127.0.0.1:6060", "--hub-agent-arg", "--update-run-stuck-threshold=30s"}, true)
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	want := stringList{"--pprof-bind-address=127.0.0.1:6060", "--update-run-stuck-threshold=30s"}
	if diff := cmp.Diff(want, o.hubAgentArgs); diff != "" {
		t.Errorf("hub agent args (-want,+got):\n%s", diff)
	}
}
