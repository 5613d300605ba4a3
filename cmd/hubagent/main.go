// Command hubagent is Flotilla's hub manager: it runs the placement,
// scheduling, rollout, update run, approval, work generator and member
// cluster controllers against the hub cluster.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"k8s.io/client-go/discovery"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/flotilla-dev/flotilla/pkg/controllers"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/util/logging"
	"github.com/flotilla-dev/flotilla/pkg/version"
)

func main() {
	opts := hubagent.NewOptions()
	opts.AddFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage of %s (Flotilla hub agent %s):\n", os.Args[0], version.Version)
		flag.PrintDefaults()
	}
	flag.Parse()
	// Reconciles add values to their logger whether they log or not.
	ctrl.SetLogger(logging.DeferValues(zap.New(zap.UseFlagOptions(&zapOpts))))
	log := ctrl.Log.WithName("hubagent")

	limit, ok, err := hubagent.SoftMemoryLimit(os.Getenv)
	if err != nil {
		log.Error(err, "Hub agent cannot start")
		os.Exit(1)
	}
	if ok {
		debug.SetMemoryLimit(limit)
		log.Info("Set the Go runtime's soft memory limit from the container's", "bytes", limit)
	}

	if err := run(ctrl.SetupSignalHandler(), opts); err != nil {
		log.Error(err, "Hub agent stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, opts *hubagent.Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the hub kubeconfig: %w", err)
	}
	opts.ApplyTo(cfg)
	scheme := hubagent.NewScheme()

	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the discovery client: %w", err)
	}
	if err := hubagent.CheckCRDs(ctx, dc, hubagent.RequiredKinds(scheme)); err != nil {
		return err
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		LeaderElection:          opts.LeaderElect,
		LeaderElectionID:        opts.LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		LeaseDuration:           &opts.LeaseDuration,
		RenewDeadline:           &opts.RenewDeadline,
		RetryPeriod:             &opts.RetryPeriod,
		PprofBindAddress:        opts.PprofBindAddress,
		Controller:              config.Controller{MaxConcurrentReconciles: opts.MaxConcurrentReconciles},
		// Cached without managed fields and with shared strings.
		Cache: cache.Options{DefaultTransform: hubagent.CacheTransform()},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := controllers.SetupHub(mgr, cfg, opts, clock.RealClock{}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}

	ctrl.Log.WithName("hubagent").Info("Starting the hub agent", "version", version.Version)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}
