// Package memberagent assembles Flotilla's member agent: it runs on a member
// cluster, joins the fleet and heartbeats through the cluster's
// InternalMemberCluster on the hub, and applies the cluster's Works.
//
// The agent talks to two API servers. On the hub it uses an identity the hub
// grants access only to the cluster's namespace, fleet-member-<name> (Works,
// their status, the InternalMemberCluster and its status, events); its hub
// cache is restricted to that namespace. On the member cluster it needs
// broad rights, since it applies whatever the placements carry: in practice
// cluster-admin, at least every verb on the placed kinds, appliedworks (and
// their status), nodes and pods (list), and leases in the leader election
// namespace. The AppliedWork CRD must be installed on the member cluster.
package memberagent

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options are the member agent's command-line settings.
type Options struct {
	// HubKubeconfig is the path of the kubeconfig for the hub, with the
	// cluster's identity. Either it or HubServer is set.
	HubKubeconfig string
	// HubServer is the URL of the hub's API server (https://host:port), for
	// an agent that authenticates with a bearer token instead of a kubeconfig.
	HubServer string
	// HubTokenFile is the path of the bearer token for HubServer; it is read
	// again as it changes, so a projected or rotated token keeps working.
	HubTokenFile string
	// HubCAFile is the path of the CA bundle that verifies HubServer's
	// certificate; the system roots when empty.
	HubCAFile string
	// MemberName is the name of the member cluster (its MemberCluster on the hub).
	MemberName string
	// MetricsBindAddress is where Prometheus metrics are served; "0" disables them.
	MetricsBindAddress string
	// HealthProbeBindAddress is where /healthz and /readyz are served; "0" disables them.
	HealthProbeBindAddress string
	// LeaderElect makes replicas elect one active leader, on the member cluster.
	LeaderElect bool
	// LeaderElectionNamespace holds the leader election Lease on the member cluster.
	LeaderElectionNamespace string
	// LeaderElectionID names the leader election Lease.
	LeaderElectionID string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// WorkApplierConcurrency is how many Works are applied at once.
	WorkApplierConcurrency int

	// SkipControllerNameValidation lets several agents run in one process
	// (integration tests); controller names are otherwise unique per process.
	SkipControllerNameValidation bool
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		MetricsBindAddress:      ":8080",
		HealthProbeBindAddress:  ":8081",
		LeaderElect:             true,
		LeaderElectionNamespace: "fleet-system",
		LeaderElectionID:        "flotilla-member-agent",
		LeaseDuration:           15 * time.Second,
		RenewDeadline:           10 * time.Second,
		RetryPeriod:             2 * time.Second,
		WorkApplierConcurrency:  4,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.HubKubeconfig, "hub-kubeconfig", o.HubKubeconfig,
		"Path of the kubeconfig for the hub cluster, with this member's identity (scoped to its fleet-member-<name> namespace). Exclusive with --hub-server.")
	fs.StringVar(&o.HubServer, "hub-server", o.HubServer,
		"URL of the hub cluster's API server (https://host:port), to authenticate with --hub-token-file instead of a kubeconfig.")
	fs.StringVar(&o.HubTokenFile, "hub-token-file", o.HubTokenFile,
		"Path of the bearer token of this member's identity on the hub; re-read when it changes. Requires --hub-server.")
	fs.StringVar(&o.HubCAFile, "hub-ca-file", o.HubCAFile,
		"Path of the CA bundle that verifies the hub's serving certificate (the system roots when empty). Requires --hub-server.")
	fs.StringVar(&o.MemberName, "member-name", o.MemberName,
		"Name of this member cluster, as its MemberCluster is named on the hub.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress,
		`Address the metrics endpoint binds to, e.g. ":8080"; "0" disables it.`)
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"Elect one active member agent among replicas, on the member cluster; turn off only when a single replica runs.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace,
		"Namespace of the leader election Lease on the member cluster.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID,
		"Name of the leader election Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", o.LeaseDuration,
		"How long a standby waits before taking over a lease the leader stopped renewing.")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", o.RenewDeadline,
		"How long the leader keeps retrying to renew its lease before giving up leadership.")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", o.RetryPeriod,
		"How often leader election actions are retried.")
	fs.IntVar(&o.WorkApplierConcurrency, "work-applier-concurrency", o.WorkApplierConcurrency,
		"How many Works the agent applies at once.")
}

// Validate reports missing or invalid settings.
func (o *Options) Validate() error {
	var errs []error
	switch {
	case o.HubKubeconfig == "" && o.HubServer == "":
		errs = append(errs, errors.New("the hub is unset: give --hub-kubeconfig, or --hub-server with --hub-token-file"))
	case o.HubKubeconfig != "" && o.HubServer != "":
		errs = append(errs, errors.New("--hub-kubeconfig and --hub-server are exclusive: the kubeconfig names the hub's server"))
	case o.HubKubeconfig != "" && (o.HubTokenFile != "" || o.HubCAFile != ""):
		errs = append(errs, errors.New("--hub-token-file and --hub-ca-file require --hub-server; with --hub-kubeconfig the kubeconfig holds the credentials"))
	case o.HubServer != "":
		if err := validateHubServer(o.HubServer); err != nil {
			errs = append(errs, err)
		}
		if o.HubTokenFile == "" {
			errs = append(errs, errors.New("--hub-server requires --hub-token-file"))
		}
	}
	if o.MemberName == "" {
		errs = append(errs, errors.New("--member-name is required"))
	}
	if o.WorkApplierConcurrency < 1 {
		errs = append(errs, errors.New("--work-applier-concurrency must be at least 1"))
	}
	return errors.Join(errs...)
}

// validateHubServer accepts an https URL with a host and nothing after the
// path: a bearer token must never travel in clear text.
func validateHubServer(server string) error {
	u, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("--hub-server %q is not a URL: %w", server, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--hub-server %q must be an https URL such as https://hub.example.com:6443", server)
	}
	return nil
}

// HubConfig returns the client configuration for the hub: loaded from
// --hub-kubeconfig, or built from --hub-server, --hub-token-file and
// --hub-ca-file. Call it after Validate. It reads the token and the CA bundle
// once so that a missing or empty file is reported at start-up; client-go
// then re-reads the token file as it changes.
func (o *Options) HubConfig() (*rest.Config, error) {
	if o.HubKubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", o.HubKubeconfig)
		if err != nil {
			return nil, fmt.Errorf("loading the hub kubeconfig %q: %w", o.HubKubeconfig, err)
		}
		return cfg, nil
	}
	token, err := os.ReadFile(o.HubTokenFile)
	if err != nil {
		return nil, fmt.Errorf("reading the hub token file: %w", err)
	}
	if strings.TrimSpace(string(token)) == "" {
		return nil, fmt.Errorf("the hub token file %q is empty", o.HubTokenFile)
	}
	cfg := &rest.Config{Host: o.HubServer, BearerTokenFile: o.HubTokenFile}
	if o.HubCAFile != "" {
		if _, err := os.ReadFile(o.HubCAFile); err != nil {
			return nil, fmt.Errorf("reading the hub CA file: %w", err)
		}
		cfg.TLSClientConfig.CAFile = o.HubCAFile
	}
	return cfg, nil
}
