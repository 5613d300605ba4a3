package kubectlfleet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// carolKubeconfig is a kubeconfig whose current context uses user carol;
// the fake client answers a SelfSubjectReview with no user, so the approver
// is taken from here.
const carolKubeconfig = `apiVersion: v1
kind: Config
current-context: hub
clusters:
- name: hub
  cluster:
    server: https://127.0.0.1:6443
contexts:
- name: hub
  context:
    cluster: hub
    user: carol
users:
- name: carol
  user:
    token: not-used
`

// runningRun is an update run that has not finished.
func runningRun(name string) *placementv1beta1.ClusterStagedUpdateRun {
	run := tutorialRun()
	run.Name = name
	return run
}

func TestApprove(t *testing.T) {
	lgtm := cond(approved, isTrue, "lgtm", "lgtm", time.Hour)
	reviewed := cond("Reviewed", isTrue, "ReviewedByBob", "bob had a look", time.Hour)
	cases := map[string]struct {
		objects []client.Object
		args    []string
		// name is the request that must end up approved by carol, with the
		// conditions it had before (other than Approved) kept.
		name    string
		wantOut string
		wantErr string
	}{
		"by name, keeping the request's other conditions": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue, reviewed),
			},
			args:    []string{"example-run-canary"},
			name:    "example-run-canary",
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary approved\n",
		},
		"by the resource name kubectl get -o name prints": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
			},
			args:    []string{"clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary"},
			name:    "example-run-canary",
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary approved\n",
		},
		"by run and stage, the approval after the stage": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-before-canary", "example-run", "canary", placementv1beta1.BeforeStageTaskLabelValue),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
				approvalRequest("other-run-canary", "other-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
			},
			args:    []string{"--run", "example-run", "--stage", "canary"},
			name:    "example-run-canary",
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary approved\n",
		},
		"by run and stage with --before, the approval before the stage": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-before-canary", "example-run", "canary", placementv1beta1.BeforeStageTaskLabelValue),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
			},
			args:    []string{"--run", "example-run", "--stage", "canary", "--before"},
			name:    "example-run-before-canary",
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-before-canary approved\n",
		},
		"an approval given at an older generation is given again at the current one": {
			objects: []client.Object{
				runningRun("example-run"),
				func() client.Object {
					req := approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue, lgtm)
					req.Generation = 2
					return req
				}(),
			},
			args:    []string{"example-run-canary"},
			name:    "example-run-canary",
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary approved\n",
		},
		"an approved request is left alone": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue, lgtm),
			},
			args:    []string{"example-run-canary"},
			wantOut: "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary already approved (lgtm)\n",
		},
		"a missing request": {
			objects: []client.Object{runningRun("example-run")},
			args:    []string{"example-run-canary"},
			wantErr: `ClusterApprovalRequest "example-run-canary" not found`,
		},
		"a request whose approval the run already consumed": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue,
					cond(approved, isFalse, "Revoked", "", time.Minute),
					cond(approvalTaken, isTrue, placementv1beta1.ApprovalRequestApprovalAcceptedReason, "", time.Hour)),
			},
			args:    []string{"example-run-canary"},
			wantErr: `ClusterApprovalRequest "example-run-canary" was already consumed: update run "example-run" accepted its approval`,
		},
		"a request that is no longer its run's latest": {
			objects: []client.Object{
				runningRun("example-run"),
				func() client.Object {
					req := approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue)
					req.Labels[placementv1beta1.IsLatestUpdateRunApprovalLabel] = "false"
					return req
				}(),
			},
			args:    []string{"example-run-canary"},
			wantErr: "is no longer the latest approval request of update run",
		},
		"a request of a run that finished": {
			objects: []client.Object{
				func() client.Object {
					run := runningRun("example-run")
					run.Status.Conditions = append(run.Status.Conditions, cond(succeeded, isFalse, placementv1beta1.UpdateRunFailedReason, "", time.Minute))
					return run
				}(),
				approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue),
			},
			args:    []string{"example-run-canary"},
			wantErr: `ClusterStagedUpdateRun "example-run", which has already finished (Succeeded=False, UpdateRunFailed)`,
		},
		"a request of a run that is gone": {
			objects: []client.Object{approvalRequest("example-run-canary", "example-run", "canary", placementv1beta1.AfterStageTaskLabelValue)},
			args:    []string{"example-run-canary"},
			wantErr: `belongs to ClusterStagedUpdateRun "example-run", which no longer exists`,
		},
		"a stage with only a before-stage approval points at --before": {
			objects: []client.Object{
				runningRun("example-run"),
				approvalRequest("example-run-before-canary", "example-run", "canary", placementv1beta1.BeforeStageTaskLabelValue),
			},
			args:    []string{"--run", "example-run", "--stage", "canary"},
			wantErr: `stage "canary" of update run "example-run" has no approval request for the end (after-stage task), but one for the start (before-stage task) (example-run-before-canary); add --before to approve it`,
		},
		"a stage the run does not have": {
			objects: []client.Object{runningRun("example-run")},
			args:    []string{"--run", "example-run", "--stage", "prod"},
			wantErr: `update run "example-run" has no stage "prod"; its stages are: staging, canary`,
		},
		"a stage that has not reached its approval yet": {
			objects: []client.Object{runningRun("example-run")},
			args:    []string{"--run", "example-run", "--stage", "canary"},
			wantErr: `no ClusterApprovalRequest for the end (after-stage task) of stage "canary" of update run "example-run" yet`,
		},
		"a run that does not exist": {
			args:    []string{"--run", "example-run", "--stage", "canary"},
			wantErr: `ClusterStagedUpdateRun "example-run" not found`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			useKubeconfig(t, carolKubeconfig)
			c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).
				WithObjects(tc.objects...).
				WithStatusSubresource(&placementv1beta1.ClusterApprovalRequest{}, &placementv1beta1.ClusterStagedUpdateRun{}).
				Build()
			before := requestConditions(t, c)

			out, err := runCommand(t, c, newApproveCommand, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("approve %v: error = %v, want one containing %q", tc.args, err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("approve %v: %v", tc.args, err)
			}
			if out != tc.wantOut {
				t.Errorf("approve %v printed %q, want %q", tc.args, out, tc.wantOut)
			}

			// Only the named request changes, and only its Approved condition.
			want := before
			if tc.name != "" {
				req := &placementv1beta1.ClusterApprovalRequest{}
				if err := c.Get(context.Background(), client.ObjectKey{Name: tc.name}, req); err != nil {
					t.Fatalf("getting %s: %v", tc.name, err)
				}
				var kept []metav1.Condition
				for _, c := range before[tc.name] {
					if c.Type != approved {
						kept = append(kept, c)
					}
				}
				want[tc.name] = append(kept, metav1.Condition{
					Type: approved, Status: metav1.ConditionTrue, ObservedGeneration: req.Generation,
					Reason: "ClusterApprovalRequestApproved", Message: "Approved by carol with kubectl fleet approve",
				})
			}
			ignoreTime := cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")
			if diff := cmp.Diff(want, requestConditions(t, c), ignoreTime, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("approval request conditions (-want,+got):\n%s", diff)
			}
		})
	}
}

// requestConditions returns the conditions of every approval request, by name.
func requestConditions(t *testing.T, c client.Client) map[string][]metav1.Condition {
	t.Helper()
	list := &placementv1beta1.ClusterApprovalRequestList{}
	if err := c.List(context.Background(), list); err != nil {
		t.Fatalf("listing approval requests: %v", err)
	}
	out := map[string][]metav1.Condition{}
	for _, r := range list.Items {
		out[r.Name] = r.Status.Conditions
	}
	return out
}

// useKubeconfig points the kubeconfig loading rules at a file holding kubeconfig.
func useKubeconfig(t *testing.T, kubeconfig string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
}

// runCommand runs a subcommand against c with the fake clock and returns what it printed.
func runCommand(t *testing.T, c client.Client, newCommand func(*fleetOptions) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	o := &fleetOptions{
		configFlags: genericclioptions.NewConfigFlags(false),
		streams:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out},
		clock:       clocktesting.NewFakePassiveClock(now),
		newClient:   func() (client.Client, error) { return c, nil },
	}
	cmd := newCommand(o)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestApproveArguments(t *testing.T) {
	cases := map[string]struct {
		args    []string
		wantErr string
	}{
		"no name and no run":         {wantErr: "give a ClusterApprovalRequest name, or --run and --stage"},
		"a run without a stage":      {args: []string{"--run", "r"}, wantErr: "give a ClusterApprovalRequest name, or --run and --stage"},
		"a name and a run":           {args: []string{"r-canary", "--run", "r", "--stage", "canary"}, wantErr: "not both"},
		"a name and --before":        {args: []string{"r-canary", "--before"}, wantErr: "not both"},
		"two names":                  {args: []string{"a", "b"}, wantErr: "one ClusterApprovalRequest name, got 2"},
		"a name of another resource": {args: []string{"crsur/example-run"}, wantErr: `"crsur/example-run" is not a ClusterApprovalRequest name`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).Build()
			_, err := runCommand(t, c, newApproveCommand, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("approve %v: error = %v, want one containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}

func TestKubeconfigUser(t *testing.T) {
	raw := clientcmdapi.Config{
		CurrentContext: "hub",
		Contexts: map[string]*clientcmdapi.Context{
			"hub":     {Cluster: "hub", AuthInfo: "carol"},
			"hub-ops": {Cluster: "hub", AuthInfo: "dave"},
			"nobody":  {Cluster: "hub"},
		},
	}
	cases := map[string]struct {
		contextFlag, userFlag, want string
	}{
		"the current context's user":      {want: "carol"},
		"the user of the --context given": {contextFlag: "hub-ops", want: "dave"},
		"the --user given":                {contextFlag: "hub-ops", userFlag: "erin", want: "erin"},
		"a context without a user":        {contextFlag: "nobody", want: unknownUser},
		"a context that does not exist":   {contextFlag: "missing", want: unknownUser},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := kubeconfigUser(raw, tc.contextFlag, tc.userFlag); got != tc.want {
				t.Errorf("kubeconfigUser(%q, %q) = %q, want %q", tc.contextFlag, tc.userFlag, got, tc.want)
			}
		})
	}
}
