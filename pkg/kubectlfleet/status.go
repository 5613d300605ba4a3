package kubectlfleet

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func newStatusCommand(o *fleetOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "status RUN",
		Short: "Show an update run's progress stage by stage",
		Long: `Show a ClusterStagedUpdateRun as a tree: its placement, snapshots, strategy and
overall state, then each stage in order with its clusters and its before- and
after-stage tasks (how long a timed wait has left, which approval request a
stage waits on), and finally the deletion stage.`,
		Example: `  # Follow the tutorial's run
  kubectl fleet status example-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.status(cmd.Context(), args[0])
		},
	}
}

func (o *fleetOptions) status(ctx context.Context, name string) error {
	c, err := o.newClient()
	if err != nil {
		return err
	}
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, run); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterStagedUpdateRun %q not found", name)
		}
		return fmt.Errorf("getting ClusterStagedUpdateRun %q: %w", name, err)
	}
	requests, err := runApprovalRequests(ctx, c, name)
	if err != nil {
		return err
	}
	return renderStatus(o.streams.Out, run, requests, o.clock.Now())
}

// runApprovalRequests returns the approval requests of a run by name, or
// none when the caller may not list them: the tree then shows approvals
// from the run's status alone.
func runApprovalRequests(ctx context.Context, c client.Client, run string) (map[string]*placementv1beta1.ClusterApprovalRequest, error) {
	list := &placementv1beta1.ClusterApprovalRequestList{}
	if err := c.List(ctx, list, client.MatchingLabels{placementv1beta1.TargetUpdateRunLabel: run}); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing the ClusterApprovalRequests of update run %q: %w", run, err)
	}
	requests := make(map[string]*placementv1beta1.ClusterApprovalRequest, len(list.Items))
	for i := range list.Items {
		requests[list.Items[i].Name] = &list.Items[i]
	}
	return requests, nil
}
