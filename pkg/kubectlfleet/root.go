// Package kubectlfleet implements the kubectl fleet plugin: approving a
// stage of an update run, reading an update run's progress as a tree, and
// listing and comparing a placement's resource snapshots.
package kubectlfleet

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/version"
)

// fleetOptions is what every subcommand shares: how to reach the hub, where
// to write, and what time it is.
type fleetOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	clock       clock.PassiveClock
	// newClient connects to the hub cluster; unit tests replace it with a fake.
	newClient func() (client.Client, error)
}

// NewCommand returns the kubectl-fleet root command. Output goes to streams;
// ages and remaining waits are measured with clk.
func NewCommand(streams genericiooptions.IOStreams, clk clock.PassiveClock) *cobra.Command {
	o := &fleetOptions{
		configFlags: genericclioptions.NewConfigFlags(true),
		streams:     streams,
		clock:       clk,
	}
	o.newClient = o.clientFromFlags
	// Every fleet kind the plugin reads is cluster-scoped.
	o.configFlags.Namespace = nil

	cmd := &cobra.Command{
		Use:   "kubectl-fleet",
		Short: "Approve, inspect and compare staged rollouts on a fleet hub cluster",
		Long: `kubectl fleet works with the staged update API of a fleet hub cluster
(placement.kubernetes-fleet.io/v1beta1): it approves the stages of update runs,
shows an update run's progress stage by stage, and lists and compares the
resource snapshots of a ClusterResourcePlacement.`,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl fleet"},
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	o.configFlags.AddFlags(cmd.PersistentFlags())

	cmd.AddCommand(newApproveCommand(o), newStatusCommand(o), newSnapshotsCommand(o))
	return cmd
}

// clientFromFlags returns a client for the hub cluster the kubeconfig flags point at.
func (o *fleetOptions) clientFromFlags() (client.Client, error) {
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: hubagent.NewScheme()})
	if err != nil {
		return nil, fmt.Errorf("creating a client for %s: %w", cfg.Host, err)
	}
	return c, nil
}
