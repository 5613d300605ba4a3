package framework

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

// KubeconfigClient returns a client, watches included, for the cluster a
// kubeconfig of a local fleet points at, knowing Flotilla's kinds and
// allowed a test's bursts of requests.
func KubeconfigClient(kubeconfig string) (client.WithWatch, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return client.NewWithWatch(cfg, client.Options{Scheme: hubagent.NewScheme()})
}

// StopFleet stops a local fleet and fails if any of its processes outlives
// the stop.
func StopFleet(f *localfleet.Fleet) error {
	if err := f.Stop(); err != nil {
		return err
	}
	for _, p := range f.Processes() {
		if p.Alive() {
			return fmt.Errorf("process %s (pid %d) still runs after Stop", p.Name, p.PID)
		}
	}
	return nil
}
