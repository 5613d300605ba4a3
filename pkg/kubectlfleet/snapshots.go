package kubectlfleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

type snapshotsOptions struct {
	*fleetOptions
	diff []int
}

func newSnapshotsCommand(o *fleetOptions) *cobra.Command {
	s := &snapshotsOptions{fleetOptions: o}
	cmd := &cobra.Command{
		Use:   "snapshots PLACEMENT [--diff [FROM,]TO]",
		Short: "List a placement's resource snapshots, or show what changed between two of them",
		Long: `List the resource snapshot groups of a ClusterResourcePlacement, one line per
index: whether it is the latest, how many sub-snapshots and selected resources
it holds, its resource hash and its age.

With --diff, show what changed in the selected resources between two indices
instead, as a unified diff of each changed, added or removed resource in YAML.
--diff TO compares index TO with the one before it.`,
		Example: `  # List the snapshots of the tutorial's placement
  kubectl fleet snapshots example-placement

  # What index 1 changed, compared with index 0
  kubectl fleet snapshots example-placement --diff 1

  # Compare two indices (also: --diff 0 --diff 2)
  kubectl fleet snapshots example-placement --diff 0,2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return s.snapshots(cmd.Context(), args[0])
		},
	}
	cmd.Flags().IntSliceVar(&s.diff, "diff", nil, "compare two resource snapshot indices, FROM,TO; a single TO compares it with TO-1")
	return cmd
}

func (s *snapshotsOptions) snapshots(ctx context.Context, placement string) error {
	from, to, err := diffIndices(s.diff)
	if err != nil {
		return err
	}
	c, err := s.newClient()
	if err != nil {
		return err
	}
	crp := &placementv1beta1.ClusterResourcePlacement{}
	if err := c.Get(ctx, client.ObjectKey{Name: placement}, crp); err != nil && !apierrors.IsForbidden(err) {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterResourcePlacement %q not found", placement)
		}
		return fmt.Errorf("getting ClusterResourcePlacement %q: %w", placement, err)
	}
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := c.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: placement}); err != nil {
		return fmt.Errorf("listing the ClusterResourceSnapshots of %q: %w", placement, err)
	}
	groups, problems := groupSnapshots(list.Items)
	for _, p := range problems {
		fmt.Fprintf(s.streams.ErrOut, "Warning: %s\n", p)
	}
	if len(groups) == 0 {
		fmt.Fprintf(s.streams.ErrOut, "No resource snapshots found for ClusterResourcePlacement %s.\n", placement)
		return nil
	}
	if len(s.diff) == 0 {
		return renderSnapshotTable(s.streams.Out, groups, s.clock.Now())
	}

	fromGroup, toGroup := findGroup(groups, from), findGroup(groups, to)
	if fromGroup == nil || toGroup == nil {
		missing := from
		if fromGroup != nil {
			missing = to
		}
		indices := make([]string, len(groups))
		for i, g := range groups {
			indices[i] = strconv.Itoa(g.Index)
		}
		return fmt.Errorf("ClusterResourcePlacement %q has no resource snapshot index %d; its indices are %s", placement, missing, strings.Join(indices, ", "))
	}
	return renderDiff(s.streams.Out, placement, fromGroup, toGroup)
}

// diffIndices reads --diff: FROM,TO, or TO alone for TO-1 to TO.
func diffIndices(diff []int) (int, int, error) {
	var from, to int
	switch len(diff) {
	case 0:
		return 0, 0, nil
	case 1:
		if diff[0] == 0 {
			return 0, 0, errors.New("--diff 0: index 0 is the first snapshot, there is nothing before it; give two indices, e.g. --diff 0,1")
		}
		from, to = diff[0]-1, diff[0]
	case 2:
		from, to = diff[0], diff[1]
	default:
		return 0, 0, fmt.Errorf("--diff takes one or two resource snapshot indices, got %d", len(diff))
	}
	if from < 0 || to < 0 {
		return 0, 0, fmt.Errorf("--diff: resource snapshot indices are not negative, got %d and %d", from, to)
	}
	return from, to, nil
}
