package memberagent

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

func TestOptions(t *testing.T) {
	tests := map[string]struct {
		args []string
		// wantErr is a substring of the expected error; empty means valid.
		wantErr string
		check   func(*Options) string
	}{
		"hub kubeconfig and member name are all it needs; leader election is on in fleet-system": {
			args: []string{"--hub-kubeconfig=/etc/hub/kubeconfig", "--member-name=member1"},
			check: func(o *Options) string {
				return cmp.Diff([]any{"/etc/hub/kubeconfig", "member1", true, "fleet-system", 4},
					[]any{o.HubKubeconfig, o.MemberName, o.LeaderElect, o.LeaderElectionNamespace, o.WorkApplierConcurrency})
			},
		},
		"a hub server with a token file and a CA bundle replaces the kubeconfig": {
			args: []string{"--hub-server=https://hub.example.com:6443", "--hub-token-file=/etc/hub/token",
				"--hub-ca-file=/etc/hub/ca.crt", "--member-name=member1"},
			check: func(o *Options) string {
				return cmp.Diff([]string{"", "https://hub.example.com:6443", "/etc/hub/token", "/etc/hub/ca.crt"},
					[]string{o.HubKubeconfig, o.HubServer, o.HubTokenFile, o.HubCAFile})
			},
		},
		"a hub server with a token file and the system roots": {
			args: []string{"--hub-server=https://hub.example.com", "--hub-token-file=/etc/hub/token", "--member-name=member1"},
		},
		"no hub at all": {
			args: []string{"--member-name=member1"}, wantErr: "the hub is unset",
		},
		"both a kubeconfig and a server": {
			args:    []string{"--hub-kubeconfig=/k", "--hub-server=https://hub", "--hub-token-file=/t", "--member-name=m"},
			wantErr: "--hub-kubeconfig and --hub-server are exclusive",
		},
		"a token file next to a kubeconfig": {
			args:    []string{"--hub-kubeconfig=/k", "--hub-token-file=/t", "--member-name=m"},
			wantErr: "require --hub-server",
		},
		"a CA file next to a kubeconfig": {
			args:    []string{"--hub-kubeconfig=/k", "--hub-ca-file=/ca", "--member-name=m"},
			wantErr: "require --hub-server",
		},
		"a server without a token file": {
			args:    []string{"--hub-server=https://hub", "--member-name=m"},
			wantErr: "--hub-server requires --hub-token-file",
		},
		"a server in clear text": {
			args:    []string{"--hub-server=http://hub:6443", "--hub-token-file=/t", "--member-name=m"},
			wantErr: "must be an https URL",
		},
		"a server without a host": {
			args:    []string{"--hub-server=https://", "--hub-token-file=/t", "--member-name=m"},
			wantErr: "must be an https URL",
		},
		"a server that is not a URL": {
			args:    []string{"--hub-server=https://hub:port", "--hub-token-file=/t", "--member-name=m"},
			wantErr: "is not a URL",
		},
		"no member name": {
			args: []string{"--hub-kubeconfig=/k"}, wantErr: "--member-name is required",
		},
		"no worker": {
			args: []string{"--hub-kubeconfig=/k", "--member-name=m", "--work-applier-concurrency=0"}, wantErr: "at least 1",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := NewOptions()
			fs := flag.NewFlagSet("memberagent", flag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatalf("parsing %v: %v", tc.args, err)
			}
			err := o.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.check != nil {
				if diff := tc.check(o); diff != "" {
					t.Errorf("options (-want,+got):\n%s", diff)
				}
			}
		})
	}
}

const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: hub
  cluster:
    server: https://hub.example.com:6443
users:
- name: member1
  user:
    token: kubeconfig-token
contexts:
- name: hub
  context: {cluster: hub, user: member1}
current-context: hub
`

func TestHubConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	kubeconfig := write("kubeconfig", testKubeconfig)
	token := write("token", "member1-token\n")
	empty := write("empty", " \n")
	ca := write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
	missing := filepath.Join(dir, "missing")

	tests := map[string]struct {
		opts    Options
		want    *rest.Config
		wantErr string
	}{
		"from a kubeconfig: its server and credentials": {
			opts: Options{HubKubeconfig: kubeconfig},
			want: &rest.Config{Host: "https://hub.example.com:6443", BearerToken: "kubeconfig-token"},
		},
		"from a server and a token file, verified with a CA bundle": {
			opts: Options{HubServer: "https://hub.example.com:6443", HubTokenFile: token, HubCAFile: ca},
			want: &rest.Config{Host: "https://hub.example.com:6443", BearerTokenFile: token,
				TLSClientConfig: rest.TLSClientConfig{CAFile: ca}},
		},
		"from a server and a token file, verified with the system roots": {
			opts: Options{HubServer: "https://hub.example.com:6443", HubTokenFile: token},
			want: &rest.Config{Host: "https://hub.example.com:6443", BearerTokenFile: token},
		},
		"a kubeconfig that does not exist": {
			opts: Options{HubKubeconfig: missing}, wantErr: "loading the hub kubeconfig",
		},
		"a token file that does not exist": {
			opts: Options{HubServer: "https://hub", HubTokenFile: missing}, wantErr: "reading the hub token file",
		},
		"an empty token file": {
			opts: Options{HubServer: "https://hub", HubTokenFile: empty}, wantErr: "is empty",
		},
		"a CA file that does not exist": {
			opts: Options{HubServer: "https://hub", HubTokenFile: token, HubCAFile: missing}, wantErr: "reading the hub CA file",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.opts.HubConfig()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("HubConfig() = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("HubConfig() = %v", err)
			}
			gotFields := []string{got.Host, got.BearerToken, got.BearerTokenFile, got.TLSClientConfig.CAFile}
			wantFields := []string{tc.want.Host, tc.want.BearerToken, tc.want.BearerTokenFile, tc.want.TLSClientConfig.CAFile}
			if diff := cmp.Diff(wantFields, gotFields); diff != "" {
				t.Errorf("HubConfig() host, token, token file, CA file (-want,+got):\n%s", diff)
			}
		})
	}
}
