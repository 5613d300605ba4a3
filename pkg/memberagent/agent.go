package memberagent

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/applier"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/heartbeat"
)

// NewScheme returns a scheme with the Kubernetes built-in types and both
// Flotilla API groups.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(placementv1beta1.AddToScheme(s))
	utilruntime.Must(clusterv1beta1.AddToScheme(s))
	return s
}

// New builds the member agent: a manager on the member cluster (leader
// election, metrics, health probes) that also runs a cache of the member's
// hub namespace, with the heartbeat and the work applier. Start it with Start.
func New(hubCfg, memberCfg *rest.Config, opts *Options) (ctrl.Manager, error) {
	scheme := NewScheme()
	namespace := fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, opts.MemberName)

	// The hub identity may only read its own namespace, so the hub cache
	// watches nothing else.
	hub, err := cluster.New(hubCfg, func(o *cluster.Options) {
		o.Scheme = scheme
		o.Cache.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to the hub: %w", err)
	}

	mgr, err := ctrl.NewManager(memberCfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		LeaderElection:          opts.LeaderElect,
		LeaderElectionID:        opts.LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		LeaseDuration:           &opts.LeaseDuration,
		RenewDeadline:           &opts.RenewDeadline,
		RetryPeriod:             &opts.RetryPeriod,
		Controller:              config.Controller{SkipNameValidation: ptr.To(opts.SkipControllerNameValidation)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the member cluster manager: %w", err)
	}
	if err := mgr.Add(hub); err != nil {
		return nil, fmt.Errorf("adding the hub cluster to the manager: %w", err)
	}

	clientset, err := kubernetes.NewForConfig(memberCfg)
	if err != nil {
		return nil, fmt.Errorf("creating the member cluster client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(memberCfg)
	if err != nil {
		return nil, fmt.Errorf("creating the member cluster dynamic client: %w", err)
	}
	md, err := metadata.NewForConfig(memberCfg)
	if err != nil {
		return nil, fmt.Errorf("creating the member cluster metadata client: %w", err)
	}

	if err := heartbeat.NewReconciler(hub.GetClient(), hub.GetCache(), mgr.GetClient(), mgr.GetAPIReader(),
		heartbeat.NewReadyzChecker(clientset.Discovery().RESTClient()), clock.RealClock{}, opts.MemberName).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the heartbeat: %w", err)
	}
	if err := applier.NewReconciler(applier.Config{
		HubClient:    hub.GetClient(),
		HubCache:     hub.GetCache(),
		MemberClient: mgr.GetClient(),
		Member:       dyn,
		Mapper:       mgr.GetRESTMapper(),
		Tracker:      applier.NewTracker(md, namespace),
		Clock:        clock.RealClock{},
		MemberName:   opts.MemberName,
		Workers:      opts.WorkApplierConcurrency,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the work applier: %w", err)
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}
