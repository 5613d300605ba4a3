package memberagent

import (
	"flag"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptions(t *testing.T) {
	tests := map[string]struct {
		args    []string
		wantErr bool
		check   func(*Options) string
	}{
		"hub kubeconfig and member name are all it needs; leader election is on in fleet-system": {
			args: []string{"--hub-kubeconfig=/etc/hub/kubeconfig", "--member-name=member1"},
			check: func(o *Options) string {
				return cmp.Diff([]any{"/etc/hub/kubeconfig", "member1", true, "fleet-system", 4},
					[]any{o.HubKubeconfig, o.MemberName, o.LeaderElect, o.LeaderElectionNamespace, o.WorkApplierConcurrency})
			},
		},
		"no hub kubeconfig": {
			args: []string{"--member-name=member1"}, wantErr: true,
		},
		"no member name": {
			args: []string{"--hub-kubeconfig=/k"}, wantErr: true,
		},
		"no worker": {
			args: []string{"--hub-kubeconfig=/k", "--member-name=m", "--work-applier-concurrency=0"}, wantErr: true,
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
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() error = %v, want error: %v", err, tc.wantErr)
			}
			if tc.check != nil {
				if diff := tc.check(o); diff != "" {
					t.Errorf("options (-want,+got):\n%s", diff)
				}
			}
		})
	}
}
