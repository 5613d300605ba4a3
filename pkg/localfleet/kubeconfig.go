package localfleet

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfig is what a kubeconfig file says: one cluster, one user, one
// context named after the cluster, which is the current one.
type kubeconfig struct {
	// Cluster names the cluster and the context.
	Cluster string
	// Server is the API server's URL.
	Server string
	// CA is the PEM CA bundle that signed the API server's certificate.
	CA []byte
	// User names the user entry (the identity is in the certificate).
	User string
	// Cert is the user's PEM client certificate and key.
	Cert keyPair
}

// build returns the kubeconfig as client-go's API object, with the
// certificates embedded so that the file stands alone.
func (k kubeconfig) build() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[k.Cluster] = &clientcmdapi.Cluster{Server: k.Server, CertificateAuthorityData: k.CA}
	cfg.AuthInfos[k.User] = &clientcmdapi.AuthInfo{ClientCertificateData: k.Cert.certPEM, ClientKeyData: k.Cert.keyPEM}
	cfg.Contexts[k.Cluster] = &clientcmdapi.Context{Cluster: k.Cluster, AuthInfo: k.User}
	cfg.CurrentContext = k.Cluster
	return cfg
}

// write writes the kubeconfig to path (mode 0600), replacing any file there.
func (k kubeconfig) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := clientcmd.Write(*k.build())
	if err != nil {
		return fmt.Errorf("encoding kubeconfig %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// restConfig loads a rest config from a kubeconfig file.
func restConfig(path string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}
