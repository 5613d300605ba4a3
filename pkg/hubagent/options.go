// Package hubagent assembles the hub manager: its options, its scheme, and
// the checks it runs before starting its controllers.
package hubagent

import (
	"flag"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
)

// Leader election and events, used by the manager itself. The leader
// election Lease lives in one namespace (--leader-election-namespace, the
// default's fleet-system here; the hub-agent Helm chart binds this Role in its
// release namespace), so the hub agent cannot take over other controllers'
// leases.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=fleet-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Options are the hub agent's command-line settings.
type Options struct {
	// MetricsBindAddress is where Prometheus metrics are served; "0" disables them.
	MetricsBindAddress string
	// HealthProbeBindAddress is where /healthz and /readyz are served.
	HealthProbeBindAddress string
	// LeaderElect makes replicas elect one active leader.
	LeaderElect bool
	// LeaderElectionNamespace holds the leader election Lease.
	LeaderElectionNamespace string
	// LeaderElectionID names the leader election Lease.
	LeaderElectionID string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// ResourceChangesCollectionDuration is how long a change to a selected
	// hub object waits for further changes before the placement takes a new
	// resource snapshot, so that a burst of edits yields one snapshot.
	ResourceChangesCollectionDuration time.Duration
	// UpdateRunStuckThreshold is how long a cluster may take to update
	// before its update run reports it stuck.
	UpdateRunStuckThreshold time.Duration
	// MaxConcurrentReconciles is how many objects each controller
	// reconciles at once.
	MaxConcurrentReconciles int
	// PprofBindAddress is where Go's pprof endpoints are served; "" or "0"
	// disables them.
	PprofBindAddress string
	// APIQPS and APIBurst limit the hub agent's requests to the hub API
	// server on the client side; a QPS of 0 or less turns the limit off.
	// It is off by default, as in controller-runtime: the API server's
	// priority and fairness protects it, and a client-side limit caps a
	// large fleet (100 000 bindings take almost 7 minutes at 250 QPS).
	APIQPS   float64
	APIBurst int
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		MetricsBindAddress:      ":8080",
		HealthProbeBindAddress:  ":8081",
		LeaderElect:             true,
		LeaderElectionNamespace: "fleet-system",
		LeaderElectionID:        "flotilla-hub-agent",
		LeaseDuration:           15 * time.Second,
		RenewDeadline:           10 * time.Second,
		RetryPeriod:             2 * time.Second,

		ResourceChangesCollectionDuration: time.Second,
		UpdateRunStuckThreshold:           5 * time.Minute,
		MaxConcurrentReconciles:           4,
		APIBurst:                          1000,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress,
		`Address the metrics endpoint binds to, e.g. ":8080"; "0" disables it.`)
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"Elect one active hub agent among replicas; turn off only when a single replica runs.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace,
		"Namespace of the leader election Lease (the pod's namespace when empty and running in a cluster).")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID,
		"Name of the leader election Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", o.LeaseDuration,
		"How long a standby waits before taking over a lease the leader stopped renewing.")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", o.RenewDeadline,
		"How long the leader keeps retrying to renew its lease before giving up leadership.")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", o.RetryPeriod,
		"How often leader election actions are retried.")
	fs.DurationVar(&o.ResourceChangesCollectionDuration, "resource-changes-collection-duration", o.ResourceChangesCollectionDuration,
		"How long a change to a selected hub object waits for further changes before a new resource snapshot is taken.")
	fs.DurationVar(&o.UpdateRunStuckThreshold, "update-run-stuck-threshold", o.UpdateRunStuckThreshold,
		"How long a cluster may take to update before its update run reports it stuck.")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", o.MaxConcurrentReconciles,
		"How many objects each controller reconciles at once.")
	fs.StringVar(&o.PprofBindAddress, "pprof-bind-address", o.PprofBindAddress,
		`Address Go's pprof endpoints (/debug/pprof/) bind to, e.g. "127.0.0.1:6060"; empty or "0" disables them.`)
	fs.Float64Var(&o.APIQPS, "hub-api-qps", o.APIQPS,
		"Requests per second the hub agent may send to the hub API server (client-side limit); 0 or less, the default, leaves the limit off and relies on the API server's priority and fairness.")
	fs.IntVar(&o.APIBurst, "hub-api-burst", o.APIBurst,
		"Requests the hub agent may send at once above --hub-api-qps.")
}

// Validate reports the first option that cannot work.
func (o *Options) Validate() error {
	if o.MaxConcurrentReconciles < 1 {
		return fmt.Errorf("--max-concurrent-reconciles must be at least 1, got %d", o.MaxConcurrentReconciles)
	}
	if o.APIQPS > 0 && o.APIBurst < 1 {
		return fmt.Errorf("--hub-api-burst must be at least 1 when --hub-api-qps limits requests, got %d", o.APIBurst)
	}
	return nil
}

// ApplyTo sets the client-side rate limits of cfg.
func (o *Options) ApplyTo(cfg *rest.Config) {
	if o.APIQPS <= 0 {
		// A negative QPS disables client-go's rate limiter.
		cfg.QPS = -1
		return
	}
	cfg.QPS = float32(o.APIQPS)
	cfg.Burst = o.APIBurst
}
