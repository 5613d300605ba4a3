package kubectlfleet

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// requestResource is how kubectl names ClusterApprovalRequests in its output
// (as in kubectl get -o name).
const requestResource = "clusterapprovalrequest.placement.kubernetes-fleet.io"

// requestPrefixes are the resource prefixes accepted before a request name,
// so that the output of `kubectl get careq -o name` can be passed on.
var requestPrefixes = []string{
	requestResource + "/", "clusterapprovalrequests.placement.kubernetes-fleet.io/",
	"clusterapprovalrequest/", "clusterapprovalrequests/", "careq/",
}

type approveOptions struct {
	*fleetOptions
	run    string
	stage  string
	before bool
}

func newApproveCommand(o *fleetOptions) *cobra.Command {
	a := &approveOptions{fleetOptions: o}
	cmd := &cobra.Command{
		Use:   "approve (NAME | --run RUN --stage STAGE [--before])",
		Short: "Approve a ClusterApprovalRequest so that an update run's stage can go on",
		Long: `Approve a ClusterApprovalRequest: set its Approved condition to True at the
request's generation, recording who approved it. The update run then accepts
the approval and moves on.

Name the request, or name the run and stage it gates: without --before that is
the approval after the stage's clusters are updated, with --before the one
before the stage starts.`,
		Example: `  # Approve a request by name, as listed by kubectl get clusterapprovalrequests
  kubectl fleet approve example-run-canary

  # Approve the approval that ends stage canary of run example-run
  kubectl fleet approve --run example-run --stage canary

  # Approve the approval that starts stage canary of run example-run
  kubectl fleet approve --run example-run --stage canary --before`,
		Args: a.validate,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.approve(cmd.Context(), args)
		},
	}
	cmd.Flags().StringVar(&a.run, "run", "", "the ClusterStagedUpdateRun whose approval to approve (with --stage)")
	cmd.Flags().StringVar(&a.stage, "stage", "", "the stage of --run whose approval to approve")
	cmd.Flags().BoolVar(&a.before, "before", false, "approve the approval before the stage starts instead of the one after it")
	return cmd
}

// validate accepts a request name, or --run and --stage, but not both.
func (a *approveOptions) validate(_ *cobra.Command, args []string) error {
	byRun := a.run != "" || a.stage != "" || a.before
	switch {
	case len(args) > 1:
		return fmt.Errorf("approve takes one ClusterApprovalRequest name, got %d arguments", len(args))
	case len(args) == 1 && byRun:
		return errors.New("give either a ClusterApprovalRequest name or --run and --stage, not both")
	case len(args) == 0 && (a.run == "" || a.stage == ""):
		return errors.New("give a ClusterApprovalRequest name, or --run and --stage to find it")
	}
	return nil
}

func (a *approveOptions) approve(ctx context.Context, args []string) error {
	c, err := a.newClient()
	if err != nil {
		return err
	}
	var name string
	if len(args) == 1 {
		name, err = requestName(args[0])
	} else {
		name, err = a.findRequest(ctx, c)
	}
	if err != nil {
		return err
	}
	approver := a.whoAmI(ctx, c)

	var already *metav1.Condition
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		already, err = approveRequest(ctx, c, name, approver)
		return err
	})
	switch {
	case err != nil:
		return err
	case already != nil:
		fmt.Fprintf(a.streams.Out, "%s/%s already approved%s\n", requestResource, name, parenthesized(already.Message))
		return nil
	}
	fmt.Fprintf(a.streams.Out, "%s/%s approved\n", requestResource, name)
	return nil
}

// approveRequest sets the Approved condition of request name for approver,
// unless it is already approved: then it returns that condition and
// changes nothing. A conflict means the request changed since it was read.
func approveRequest(ctx context.Context, c client.Client, name, approver string) (*metav1.Condition, error) {
	req := &placementv1beta1.ClusterApprovalRequest{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, req); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("ClusterApprovalRequest %q not found; list the pending ones with: kubectl get clusterapprovalrequests", name)
		}
		return nil, fmt.Errorf("getting ClusterApprovalRequest %q: %w", name, err)
	}
	if already, err := checkApprovable(req); err != nil || already != nil {
		return already, err
	}
	if err := checkRun(ctx, c, req); err != nil {
		return nil, err
	}
	// The optimistic lock makes the patch carry the resourceVersion: the
	// whole conditions list is sent, so a concurrent change to another
	// condition fails the patch (and the caller retries) instead of being lost.
	patch := client.MergeFromWithOptions(req.DeepCopy(), client.MergeFromWithOptimisticLock{})
	meta.SetStatusCondition(&req.Status.Conditions, approvedCondition(req.Generation, approver))
	err := c.Status().Patch(ctx, req, patch)
	if apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("approving ClusterApprovalRequest %q needs the patch verb on clusterapprovalrequests/status: %w", name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("approving ClusterApprovalRequest %q: %w", name, err)
	}
	return nil, nil
}

// approvedCondition is the Approved condition kubectl fleet approve writes.
func approvedCondition(generation int64, approver string) metav1.Condition {
	return metav1.Condition{
		Type:               string(placementv1beta1.ApprovalRequestConditionApproved),
		Status:             metav1.ConditionTrue,
		ObservedGeneration: generation,
		Reason:             placementv1beta1.ApprovalRequestApprovedReason,
		Message:            fmt.Sprintf("Approved by %s with kubectl fleet approve", approver),
	}
}

// checkApprovable says whether a request can be approved. It returns the
// request's Approved condition when the request is already approved at its
// generation (nothing to do), and an error when approving it would not
// count: the request is going away, superseded, or its approval was
// already consumed by the run.
func checkApprovable(req *placementv1beta1.ClusterApprovalRequest) (*metav1.Condition, error) {
	if !req.DeletionTimestamp.IsZero() {
		return nil, fmt.Errorf("ClusterApprovalRequest %q is being deleted (its update run %q is being deleted or was recreated)", req.Name, req.Spec.TargetUpdateRun)
	}
	if req.Labels[placementv1beta1.IsLatestUpdateRunApprovalLabel] == "false" {
		return nil, fmt.Errorf("ClusterApprovalRequest %q is no longer the latest approval request of update run %q (label %s=false); approve the latest one",
			req.Name, req.Spec.TargetUpdateRun, placementv1beta1.IsLatestUpdateRunApprovalLabel)
	}
	approved := meta.FindStatusCondition(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved))
	if approved != nil && approved.Status == metav1.ConditionTrue && approved.ObservedGeneration == req.Generation {
		return approved, nil
	}
	if meta.IsStatusConditionTrue(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApprovalAccepted)) {
		return nil, fmt.Errorf("ClusterApprovalRequest %q was already consumed: update run %q accepted its approval, which cannot change any more",
			req.Name, req.Spec.TargetUpdateRun)
	}
	return nil, nil
}

// checkRun refuses to approve a request whose update run is gone or
// finished: nothing would act on the approval. A caller who may not read
// update runs approves without this check.
func checkRun(ctx context.Context, c client.Client, req *placementv1beta1.ClusterApprovalRequest) error {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	err := c.Get(ctx, client.ObjectKey{Name: req.Spec.TargetUpdateRun}, run)
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("ClusterApprovalRequest %q belongs to ClusterStagedUpdateRun %q, which no longer exists; nothing would act on the approval",
			req.Name, req.Spec.TargetUpdateRun)
	case apierrors.IsForbidden(err):
		return nil
	case err != nil:
		return fmt.Errorf("getting ClusterStagedUpdateRun %q: %w", req.Spec.TargetUpdateRun, err)
	}
	if c := meta.FindStatusCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded)); c != nil && c.Status != metav1.ConditionUnknown {
		return fmt.Errorf("ClusterApprovalRequest %q belongs to ClusterStagedUpdateRun %q, which has already finished (Succeeded=%s, %s); nothing would act on the approval",
			req.Name, run.Name, c.Status, c.Reason)
	}
	return nil
}

// findRequest finds the approval request of --run and --stage by the labels
// the update run puts on it.
func (a *approveOptions) findRequest(ctx context.Context, c client.Client) (string, error) {
	list := &placementv1beta1.ClusterApprovalRequestList{}
	if err := c.List(ctx, list, client.MatchingLabels{
		placementv1beta1.TargetUpdateRunLabel:           a.run,
		placementv1beta1.TargetUpdatingStageNameLabel:   a.stage,
		placementv1beta1.IsLatestUpdateRunApprovalLabel: "true",
	}); err != nil {
		return "", fmt.Errorf("listing the ClusterApprovalRequests of update run %q: %w", a.run, err)
	}
	want, other := placementv1beta1.AfterStageTaskLabelValue, placementv1beta1.BeforeStageTaskLabelValue
	if a.before {
		want, other = other, want
	}
	var matches, others []string
	for _, req := range list.Items {
		switch req.Labels[placementv1beta1.TaskTypeLabel] {
		case want:
			matches = append(matches, req.Name)
		case other:
			others = append(others, req.Name)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return "", fmt.Errorf("several ClusterApprovalRequests gate the %s of stage %q of update run %q: %s; approve one by name",
			taskTypeWords(want), a.stage, a.run, strings.Join(matches, ", "))
	case len(others) > 0:
		flag := "add --before"
		if a.before {
			flag = "drop --before"
		}
		return "", fmt.Errorf("stage %q of update run %q has no approval request for the %s, but one for the %s (%s); %s to approve it",
			a.stage, a.run, taskTypeWords(want), taskTypeWords(other), strings.Join(others, ", "), flag)
	}
	return "", a.explainMissing(ctx, c, want)
}

// explainMissing says why a run's stage has no approval request (yet).
func (a *approveOptions) explainMissing(ctx context.Context, c client.Client, taskType string) error {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	if err := c.Get(ctx, client.ObjectKey{Name: a.run}, run); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterStagedUpdateRun %q not found", a.run)
		}
		return fmt.Errorf("no ClusterApprovalRequest found for the %s of stage %q of update run %q", taskTypeWords(taskType), a.stage, a.run)
	}
	if stages := run.Status.StagesStatus; len(stages) > 0 {
		names := make([]string, 0, len(stages))
		found := false
		for _, s := range stages {
			names = append(names, s.StageName)
			found = found || s.StageName == a.stage
		}
		if !found {
			return fmt.Errorf("update run %q has no stage %q; its stages are: %s", a.run, a.stage, strings.Join(names, ", "))
		}
	}
	return fmt.Errorf("no ClusterApprovalRequest for the %s of stage %q of update run %q yet: the run creates it when the stage reaches that approval; see kubectl fleet status %s",
		taskTypeWords(taskType), a.stage, a.run, a.run)
}

// taskTypeWords names a TaskTypeLabel value for messages.
func taskTypeWords(taskType string) string {
	if taskType == placementv1beta1.BeforeStageTaskLabelValue {
		return "start (before-stage task)"
	}
	return "end (after-stage task)"
}

// requestName accepts NAME or a resource-qualified name such as
// clusterapprovalrequest.placement.kubernetes-fleet.io/NAME or careq/NAME.
func requestName(arg string) (string, error) {
	for _, p := range requestPrefixes {
		if name, ok := strings.CutPrefix(arg, p); ok {
			arg = name
			break
		}
	}
	if arg == "" || strings.Contains(arg, "/") {
		return "", fmt.Errorf("%q is not a ClusterApprovalRequest name", arg)
	}
	return arg, nil
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
