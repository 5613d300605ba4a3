// Package controllers registers every hub controller with a manager, so that
// the hub agent binary and the integration suites run the same set.
package controllers

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/flotilla-dev/flotilla/pkg/controllers/membercluster"
	"github.com/flotilla-dev/flotilla/pkg/controllers/placement"
	"github.com/flotilla-dev/flotilla/pkg/controllers/rollout"
	"github.com/flotilla-dev/flotilla/pkg/controllers/scheduler"
	"github.com/flotilla-dev/flotilla/pkg/controllers/updaterun"
	"github.com/flotilla-dev/flotilla/pkg/controllers/workgenerator"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/selection"
)

// SetupHub adds the member cluster, placement, scheduler, rollout, update run
// and work generator controllers to mgr. cfg is the hub's REST config, used
// for discovery and the on-demand informers of resource selection.
func SetupHub(mgr ctrl.Manager, cfg *rest.Config, opts *hubagent.Options, clk clock.PassiveClock) error {
	if err := membercluster.NewReconciler(mgr.GetClient(), clk).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the member cluster controller: %w", err)
	}
	selector, err := selection.New(cfg, mgr.GetCache(), opts.ResourceChangesCollectionDuration)
	if err != nil {
		return fmt.Errorf("setting up resource selection: %w", err)
	}
	if err := placement.NewReconciler(mgr.GetClient(), selector).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the placement controller: %w", err)
	}
	if err := scheduler.NewReconciler(mgr.GetClient()).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the scheduler: %w", err)
	}
	if err := rollout.NewReconciler(mgr.GetClient(), clk).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the rollout controller: %w", err)
	}
	if err := updaterun.NewReconciler(mgr.GetClient(), mgr.GetAPIReader(), clk,
		mgr.GetEventRecorder("updaterun"), opts.UpdateRunStuckThreshold).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the update run controller: %w", err)
	}
	if err := workgenerator.NewReconciler(mgr.GetClient()).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the work generator: %w", err)
	}
	return nil
}
