package kubectlfleet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/kubectlfleet"
)

// result is what one kubectl fleet command printed, and its error (the
// binary prints it and exits 1).
type result struct {
	out, errOut string
	err         error
}

// kubectlFleet runs `kubectl fleet --kubeconfig kubeconfig args...` in-process,
// measuring ages with clk.
func kubectlFleet(kubeconfig string, clk clock.PassiveClock, args ...string) result {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	cmd := kubectlfleet.NewCommand(streams, clk)
	cmd.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
	err := cmd.ExecuteContext(ctx)
	GinkgoWriter.Printf("$ kubectl fleet %s\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	if err != nil {
		GinkgoWriter.Printf("error: %v\n", err)
	}
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

// fleet runs kubectl fleet as the admin with the real clock and expects it to succeed.
func fleet(args ...string) string {
	GinkgoHelper()
	r := kubectlFleet(adminKubeconfig, clock.RealClock{}, args...)
	Expect(r.err).NotTo(HaveOccurred(), "kubectl fleet %v", args)
	return r.out
}

// fleetFails runs kubectl fleet as the admin and returns its error, which it expects.
func fleetFails(args ...string) error {
	GinkgoHelper()
	r := kubectlFleet(adminKubeconfig, clock.RealClock{}, args...)
	Expect(r.err).To(HaveOccurred(), "kubectl fleet %v should fail; it printed %q", args, r.out)
	Expect(r.out).To(BeEmpty(), "a failing kubectl fleet %v prints nothing on stdout", args)
	return r.err
}

// createRun creates an update run of a placement; without a controller in
// the spec, its status is what the spec writes.
func createRun(name string) *placementv1beta1.ClusterStagedUpdateRun {
	GinkgoHelper()
	run := &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.UpdateRunSpec{
			PlacementName: "example-placement", ResourceSnapshotIndex: "1", StagedUpdateStrategyName: "example-strategy",
		},
	}
	Expect(k8sClient.Create(ctx, run)).To(Succeed())
	return run
}

// createRequest creates the approval request an update run would create for
// the task of a stage, with the labels the run puts on it.
func createRequest(name, run, stage, taskType string) *placementv1beta1.ClusterApprovalRequest {
	GinkgoHelper()
	req := &placementv1beta1.ClusterApprovalRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				placementv1beta1.TargetUpdateRunLabel:           run,
				placementv1beta1.TargetUpdatingStageNameLabel:   stage,
				placementv1beta1.TaskTypeLabel:                  taskType,
				placementv1beta1.IsLatestUpdateRunApprovalLabel: "true",
			},
		},
		Spec: placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: run, TargetStage: stage},
	}
	Expect(k8sClient.Create(ctx, req)).To(Succeed())
	return req
}

func getRequest(name string) *placementv1beta1.ClusterApprovalRequest {
	GinkgoHelper()
	req := &placementv1beta1.ClusterApprovalRequest{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, req)).To(Succeed())
	return req
}

// approvedCondition returns a request's Approved condition, or nil.
func approvedCondition(name string) *metav1.Condition {
	GinkgoHelper()
	return meta.FindStatusCondition(getRequest(name).Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved))
}

// beApprovedBy matches the Approved condition kubectl fleet approve writes
// for user on a request at generation.
func beApprovedBy(user string, generation int64) OmegaMatcher {
	return And(
		Not(BeNil()),
		HaveField("Status", metav1.ConditionTrue),
		HaveField("ObservedGeneration", generation),
		HaveField("Reason", placementv1beta1.ApprovalRequestApprovedReason),
		HaveField("Message", "Approved by "+user+" with kubectl fleet approve"),
	)
}

// approvedOutput is what kubectl fleet approve prints for a request it approved.
func approvedOutput(name string) string {
	return "clusterapprovalrequest.placement.kubernetes-fleet.io/" + name + " approved\n"
}

// writeApproverKubeconfig adds a user who may read approval requests and
// update runs and approve (patch the status of) approval requests, nothing
// more, and returns the path of its kubeconfig.
func writeApproverKubeconfig(env *envtest.Environment, user string) string {
	GinkgoHelper()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "approver-" + user},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{placementv1beta1.GroupName}, Resources: []string{"clusterapprovalrequests", "clusterstagedupdateruns"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{placementv1beta1.GroupName}, Resources: []string{"clusterapprovalrequests/status"}, Verbs: []string{"patch"}},
		},
	}
	Expect(k8sClient.Create(ctx, role)).To(Succeed())
	Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "approver-" + user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	})).To(Succeed())
	approver, err := env.AddUser(envtest.User{Name: user}, nil)
	Expect(err).NotTo(HaveOccurred())
	data, err := approver.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(GinkgoT().TempDir(), user+".kubeconfig")
	Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
	return path
}
