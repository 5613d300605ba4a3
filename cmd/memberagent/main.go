// Command memberagent is Flotilla's member agent: it runs on a member
// cluster, joins the fleet and heartbeats through the hub, and applies the
// cluster's Works. The member cluster is reached through the standard
// kubeconfig (in-cluster config, --kubeconfig or KUBECONFIG), the hub
// through --hub-kubeconfig, or --hub-server with --hub-token-file (and
// --hub-ca-file).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/flotilla-dev/flotilla/pkg/memberagent"
	"github.com/flotilla-dev/flotilla/pkg/util/logging"
	"github.com/flotilla-dev/flotilla/pkg/version"
)

func main() {
	opts := memberagent.NewOptions()
	opts.AddFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage of %s (Flotilla member agent %s):\n", os.Args[0], version.Version)
		flag.PrintDefaults()
	}
	flag.Parse()
	// Reconciles add values to their logger whether they log or not.
	ctrl.SetLogger(logging.DeferValues(zap.New(zap.UseFlagOptions(&zapOpts))))
	log := ctrl.Log.WithName("memberagent")

	if err := run(ctrl.SetupSignalHandler(), opts); err != nil {
		log.Error(err, "Member agent stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, opts *memberagent.Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	memberCfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the member cluster kubeconfig: %w", err)
	}
	hubCfg, err := opts.HubConfig()
	if err != nil {
		return err
	}
	mgr, err := memberagent.New(hubCfg, memberCfg, opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("memberagent").Info("Starting the member agent", "version", version.Version, "member", opts.MemberName)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}
