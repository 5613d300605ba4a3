package localfleet

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfigWrite(t *testing.T) {
	ca, err := newAuthority("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.client("flotilla-member-member1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "member.kubeconfig")
	k := kubeconfig{Cluster: "hub", Server: "https://127.0.0.1:6443", CA: ca.certPEM, User: "flotilla-member-member1", Cert: cert}
	if err := k.write(path); err != nil {
		t.Fatalf("write: %v", err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600: the file holds a private key", fi.Mode().Perm())
	}
	loaded, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("loading the kubeconfig: %v", err)
	}
	type view struct {
		CurrentContext, Cluster, User, Server string
		CA, Cert, Key                         []byte
	}
	ctx := loaded.Contexts[loaded.CurrentContext]
	if ctx == nil {
		t.Fatalf("no current context in %+v", loaded)
	}
	got := view{
		CurrentContext: loaded.CurrentContext,
		Cluster:        ctx.Cluster,
		User:           ctx.AuthInfo,
		Server:         loaded.Clusters[ctx.Cluster].Server,
		CA:             loaded.Clusters[ctx.Cluster].CertificateAuthorityData,
		Cert:           loaded.AuthInfos[ctx.AuthInfo].ClientCertificateData,
		Key:            loaded.AuthInfos[ctx.AuthInfo].ClientKeyData,
	}
	want := view{
		CurrentContext: "hub", Cluster: "hub", User: "flotilla-member-member1", Server: "https://127.0.0.1:6443",
		CA: ca.certPEM, Cert: cert.certPEM, Key: cert.keyPEM,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kubeconfig (-want,+got):\n%s", diff)
	}

	cfg, err := restConfig(path)
	if err != nil {
		t.Fatalf("restConfig: %v", err)
	}
	if cfg.Host != k.Server || len(cfg.CertData) == 0 || len(cfg.KeyData) == 0 || len(cfg.CAData) == 0 {
		t.Errorf("rest config = host %q, %d cert, %d key, %d CA bytes; want the server and all three", cfg.Host, len(cfg.CertData), len(cfg.KeyData), len(cfg.CAData))
	}
}

func TestAuthorityIssuesIdentities(t *testing.T) {
	ca, err := newAuthority("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	admin, err := ca.client(adminUser, "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	cert := parseCert(t, admin.certPEM)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the admin certificate does not verify as a client of the CA: %v", err)
	}
	if diff := cmp.Diff([]string{adminUser, "system:masters"}, append([]string{cert.Subject.CommonName}, cert.Subject.Organization...)); diff != "" {
		t.Errorf("admin identity (user, groups...) (-want,+got):\n%s", diff)
	}

	serving, err := ca.serving("kube-apiserver")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := parseCert(t, serving.certPEM).Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("the serving certificate does not verify for %s: %v", host, err)
		}
	}
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("no PEM block in %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
