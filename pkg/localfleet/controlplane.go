package localfleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const (
	// adminUser is the user of the admin kubeconfigs, in system:masters.
	adminUser = "flotilla-admin"
	// serviceCIDR and podCIDR are the same on every cluster: nothing routes
	// between them.
	serviceCIDR = "10.96.0.0/16"
	podCIDR     = "10.244.0.0/16"
	// appliedWorkCRDFile is the CRD that goes on member clusters, not the hub.
	appliedWorkCRDFile = "placement.kubernetes-fleet.io_appliedworks.yaml"
	// nodeMonitorGracePeriod is how long kube-controller-manager lets a
	// node's lease go unrenewed before it marks the node NotReady.
	nodeMonitorGracePeriod = 5 * time.Minute
	// fakeNodeName names the kwok node of each member.
	fakeNodeName = "kwok-node-0"

	pollInterval = 200 * time.Millisecond
	probeTimeout = 5 * time.Second
	// maxBody bounds what get reads: an agent's metrics run to a few
	// hundred KiB.
	maxBody = 16 << 20
)

// cluster is a running control plane.
type cluster struct {
	name string
	// dir holds the cluster's certificates (pki/), etcd data and the
	// kubeconfigs of its components.
	dir string
	// server is the API server's URL.
	server string
	ca     *authority
	// kubeconfig is the path of the admin kubeconfig.
	kubeconfig string
	config     *rest.Config
	client     client.Client
}

// startControlPlane starts etcd and kube-apiserver for cluster name, with a
// fresh CA, and writes an admin kubeconfig to kubeconfigPath.
func (f *Fleet) startControlPlane(ctx context.Context, name, kubeconfigPath string) (*cluster, error) {
	c := &cluster{name: name, dir: filepath.Join(f.Dir, "clusters", name), kubeconfig: kubeconfigPath}
	pki := filepath.Join(c.dir, "pki")
	var err error
	if c.ca, err = newAuthority("flotilla-localfleet-" + name); err != nil {
		return nil, err
	}
	serving, err := c.ca.serving("kube-apiserver")
	if err != nil {
		return nil, err
	}
	admin, err := c.ca.client(adminUser, "system:masters")
	if err != nil {
		return nil, err
	}
	saKey, saPub, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	if err := writeFiles(pki, map[string][]byte{
		"ca.crt":        c.ca.certPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"sa.key":        saKey,
		"sa.pub":        saPub,
	}); err != nil {
		return nil, err
	}

	etcd, etcdPorts, err := f.startListener(ctx, listener{
		cluster: name, name: name + "-etcd", tier: tierEtcd, bin: f.bins[EtcdBinary], ports: 1,
		args: func(ports []int) []string {
			url := "http://" + loopback(ports[0])
			return []string{
				"--data-dir=" + filepath.Join(c.dir, "etcd"),
				"--listen-client-urls=" + url,
				"--advertise-client-urls=" + url,
				"--listen-peer-urls=http://127.0.0.1:0",
				"--unsafe-no-fsync=true",
			}
		},
		ready: func(ports []int) (func(context.Context) error, error) {
			return etcdHealthy(fmt.Sprintf("http://%s/health", loopback(ports[0]))), nil
		},
	})
	if err != nil {
		return nil, err
	}
	etcdURL := "http://" + loopback(etcdPorts[0])

	apiserver, _, err := f.startListener(ctx, listener{
		cluster: name, name: name + "-apiserver", tier: tierAPIServer, bin: f.bins[KubeAPIServerBinary], ports: 1,
		args: func(ports []int) []string {
			return []string{
				"--etcd-servers=" + etcdURL,
				"--bind-address=127.0.0.1",
				"--advertise-address=127.0.0.1",
				// The endpoints of the kubernetes Service may not be loopback;
				// nothing in the fleet reaches the API server through it.
				"--endpoint-reconciler-type=none",
				fmt.Sprintf("--secure-port=%d", ports[0]),
				"--cert-dir=" + pki,
				"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"),
				"--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
				"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
				"--authorization-mode=RBAC",
				"--service-cluster-ip-range=" + serviceCIDR,
				"--service-account-issuer=https://" + loopback(ports[0]),
				"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
				"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
				"--allow-privileged=true",
				"--profiling=false",
				// On SIGTERM, close long-running requests (watches) after
				// draining the others, rather than wait for them up to the
				// 60 s request timeout: restarts are quick.
				"--shutdown-send-retry-after=true",
			}
		},
		ready: func(ports []int) (func(context.Context) error, error) {
			c.server = "https://" + loopback(ports[0])
			if err := (kubeconfig{Cluster: name, Server: c.server, CA: c.ca.certPEM, User: adminUser, Cert: admin}).write(kubeconfigPath); err != nil {
				return nil, err
			}
			if c.config, err = restConfig(kubeconfigPath); err != nil {
				return nil, err
			}
			return apiserverReady(c.config)
		},
	})
	if err != nil {
		return nil, err
	}
	if c.client, err = client.New(c.config, client.Options{Scheme: newScheme()}); err != nil {
		return nil, err
	}
	f.log.printf(name, "kube-apiserver ready at %s (pid %d), etcd at %s (pid %d)", c.server, apiserver.PID, etcdURL, etcd.PID)
	return c, nil
}

// startNodeComponents starts what makes a member cluster run workloads:
// kube-controller-manager (without the legacy token controller and node IPAM,
// which need what a local fleet does not have), kube-scheduler and kwok with
// one fake node. It waits until the controller manager and the scheduler
// report healthy, the controllers have created the default ServiceAccount and
// the node is Ready.
func (f *Fleet) startNodeComponents(ctx context.Context, c *cluster) error {
	kcm, err := f.startControllerManager(ctx, c)
	if err != nil {
		return err
	}
	if _, _, err := f.startListener(ctx, listener{
		cluster: c.name, name: c.name + "-scheduler", tier: tierClusterComponent,
		bin: f.bins[KubeSchedulerBinary], ports: 1,
		args: func(ports []int) []string {
			return []string{
				"--kubeconfig=" + c.kubeconfig,
				"--leader-elect=false",
				"--bind-address=127.0.0.1",
				fmt.Sprintf("--secure-port=%d", ports[0]),
				"--cert-dir=" + filepath.Join(c.dir, "scheduler"),
				"--profiling=false",
			}
		},
		ready: func(ports []int) (func(context.Context) error, error) {
			return httpReady(fmt.Sprintf("https://%s/readyz", loopback(ports[0]))), nil
		},
	}); err != nil {
		return err
	}
	return f.startFakeNode(ctx, c, kcm)
}

// startControllerManager starts kube-controller-manager for c: namespace
// deletion and garbage collection of owned objects need it, on the hub as on
// members, and members need it for workloads.
func (f *Fleet) startControllerManager(ctx context.Context, c *cluster) (*process, error) {
	kcm, _, err := f.startListener(ctx, listener{
		cluster: c.name, name: c.name + "-controller-manager", tier: tierClusterComponent,
		bin: f.bins[KubeControllerManagerBinary], ports: 1,
		args: func(ports []int) []string {
			return []string{
				"--kubeconfig=" + c.kubeconfig,
				"--controllers=*,-serviceaccount-token,-nodeipam",
				// kwok renews its node's lease every 10 s, but on a busy
				// machine (or while the member's API server restarts) a few
				// renewals can be late; the default 50 s grace would then
				// mark the node NotReady, and kwok never makes a running pod
				// Ready again: workloads would stay unavailable for good.
				"--node-monitor-grace-period=" + nodeMonitorGracePeriod.String(),
				"--leader-elect=false",
				"--bind-address=127.0.0.1",
				fmt.Sprintf("--secure-port=%d", ports[0]),
				"--cert-dir=" + filepath.Join(c.dir, "controller-manager"),
				"--root-ca-file=" + filepath.Join(c.dir, "pki", "ca.crt"),
				"--cluster-name=" + c.name,
				"--profiling=false",
			}
		},
		ready: func(ports []int) (func(context.Context) error, error) {
			return httpReady(fmt.Sprintf("https://%s/healthz", loopback(ports[0]))), nil
		},
	})
	return kcm, err
}

// startFakeNode starts kwok for c with one fake node and waits until the
// node is Ready and kcm has created the default ServiceAccount.
func (f *Fleet) startFakeNode(ctx context.Context, c *cluster, kcm *process) error {
	kwok, err := f.spawner.spawn(c.name, c.name+"-kwok", tierClusterComponent, f.bins[KwokBinary], []string{
		"--kubeconfig=" + c.kubeconfig,
		"--config=" + filepath.Join(f.Dir, StagesFile),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
		"--cidr=" + podCIDR,
	})
	if err != nil {
		return err
	}
	node := fakeNode(fakeNodeName)
	if err := c.client.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating node %s: %w", node.Name, err)
	}

	err = waitFor(ctx, c.name+" default ServiceAccount", kcm, func(ctx context.Context) error {
		return c.client.Get(ctx, client.ObjectKey{Namespace: corev1.NamespaceDefault, Name: "default"}, &corev1.ServiceAccount{})
	})
	if err != nil {
		return err
	}
	err = waitFor(ctx, c.name+" node "+node.Name+" to be Ready", kwok, func(ctx context.Context) error {
		if err := c.client.Get(ctx, client.ObjectKeyFromObject(node), node); err != nil {
			return err
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return nil
			}
		}
		return errors.New("not Ready")
	})
	if err != nil {
		return err
	}
	f.log.printf(c.name, "controller manager, scheduler and kwok ready, node %s Ready", node.Name)
	return nil
}

// apiserverReady returns a check that the API server at cfg is ready.
func apiserverReady(cfg *rest.Config) (func(context.Context) error, error) {
	probe := rest.CopyConfig(cfg)
	probe.Timeout = probeTimeout
	cs, err := kubernetes.NewForConfig(probe)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return summarizeReadyz(err)
		}
		if string(body) != "ok" {
			return fmt.Errorf("/readyz says %q", body)
		}
		return nil
	}, nil
}

// failedCheck matches a failed check in the body of /readyz.
var failedCheck = regexp.MustCompile(`\[-\]([^\s\\]+)`)

// summarizeReadyz shortens the error of a /readyz request that lists its
// checks to the names of those that failed.
func summarizeReadyz(err error) error {
	var failed []string
	for _, m := range failedCheck.FindAllStringSubmatch(err.Error(), -1) {
		failed = append(failed, m[1])
	}
	if len(failed) == 0 {
		return err
	}
	return fmt.Errorf("not ready: %s", strings.Join(failed, ", "))
}

// hubCRDFiles returns Flotilla's CRD files for the hub: all but AppliedWork,
// which lives on member clusters.
func hubCRDFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == appliedWorkCRDFile })
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s", dir)
	}
	return files, nil
}

// installCRDs installs the CRDs in files on c and waits until they are served.
func installCRDs(c *cluster, files []string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("reading CRDs: %w", err)
		}
	}
	if _, err := envtest.InstallCRDs(c.config, envtest.CRDInstallOptions{
		Paths:              files,
		ErrorIfPathMissing: true,
		MaxTime:            time.Minute,
	}); err != nil {
		return fmt.Errorf("installing CRDs: %w", err)
	}
	return nil
}

// waitFor polls check until it succeeds. It fails as soon as p exits (p may
// be nil), and when ctx ends, with check's last error.
func waitFor(ctx context.Context, what string, p *process, check func(context.Context) error) error {
	var last error
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		if p != nil {
			if done, _ := p.exited(); done {
				return false, p.exitError()
			}
		}
		if last = check(ctx); last != nil {
			return false, nil
		}
		return true, nil
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		switch {
		case errors.Is(cause, context.DeadlineExceeded):
			return fmt.Errorf("waiting for %s: %w (last check: %v)", what, cause, last)
		case errors.Is(cause, context.Canceled):
			return fmt.Errorf("waiting for %s: %w", what, cause)
		default:
			return cause // another part of the fleet failed
		}
	}
	return fmt.Errorf("waiting for %s: %w", what, err)
}

// probeClient probes loopback health endpoints; those of the controller
// manager and the scheduler serve self-signed certificates.
var probeClient = &http.Client{
	Timeout:   probeTimeout,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback health probes only
}

// httpReady checks that GET url answers 200.
func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := get(ctx, url)
		return err
	}
}

// etcdHealthy checks etcd's /health.
func etcdHealthy(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		body, err := get(ctx, url)
		if err != nil {
			return err
		}
		if !strings.Contains(body, `"health":"true"`) {
			return fmt.Errorf("%s says %s", url, body)
		}
		return nil
	}
}

// get returns the body of a 200 answer to GET url.
func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return string(body), nil
}
