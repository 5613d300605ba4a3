package localfleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// repoBin is the repository's bin/ directory.
func repoBin() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "bin")
}

// TestFleet starts a one-member fleet from the built binaries, runs a
// Deployment on the member and stops the fleet. It is skipped when the
// binaries are not built (make build localfleet-tools) and in -short mode.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local fleet; skipped in -short mode")
	}
	if _, err := binaries(repoBin()); err != nil {
		var missing *MissingBinaryError
		if errors.As(err, &missing) {
			t.Skipf("skipping: %v", err)
		}
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	member := DefaultMembers()[0]
	fleet, err := Start(ctx, Config{
		Dir:     t.TempDir(),
		BinDir:  repoBin(),
		Members: []MemberSpec{member},
		Log:     testLog{t},
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = fleet.Stop()
		}
	})

	hub := newTestClient(t, fleet.HubKubeconfig)
	t.Run("the member has joined the hub with its labels", func(t *testing.T) {
		mc := &clusterv1beta1.MemberCluster{}
		if err := hub.Get(ctx, client.ObjectKey{Name: member.Name}, mc); err != nil {
			t.Fatal(err)
		}
		if !meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined)) {
			t.Errorf("MemberCluster %s conditions = %+v, want Joined=True", mc.Name, mc.Status.Conditions)
		}
		if mc.Labels["environment"] != "canary" {
			t.Errorf("MemberCluster labels = %v, want environment=canary", mc.Labels)
		}
		if mc.Spec.Identity.Name != MemberIdentity(member.Name) {
			t.Errorf("MemberCluster identity = %+v, want User %s", mc.Spec.Identity, MemberIdentity(member.Name))
		}
	})

	t.Run("a Deployment on the member becomes Available on the kwok node", func(t *testing.T) {
		c := newTestClient(t, fleet.Members[0].Kubeconfig)
		labels := map[string]string{"app": "nginx"}
		deploy := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: corev1.NamespaceDefault},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
				},
			},
		}
		if err := c.Create(ctx, deploy); err != nil {
			t.Fatal(err)
		}
		err := waitFor(ctx, "the Deployment to be Available", nil, func(ctx context.Context) error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(deploy), deploy); err != nil {
				return err
			}
			for _, cond := range deploy.Status.Conditions {
				if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue && deploy.Status.AvailableReplicas == 1 {
					return nil
				}
			}
			return errors.New("not Available")
		})
		if err != nil {
			t.Fatalf("%v; status %+v", err, deploy.Status)
		}
	})

	procs := fleet.Processes()
	if err := fleet.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("%s (pid %d) still runs after Stop", p.Name, p.PID)
		}
	}
	var names []string
	for _, p := range procs {
		names = append(names, p.Name)
	}
	want := []string{
		"hub-etcd", "hub-apiserver", "hub-controller-manager", "hubagent",
		"member1-etcd", "member1-apiserver", "member1-controller-manager", "member1-scheduler", "member1-kwok", "member1-agent",
	}
	if diff := cmp.Diff(want, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("the fleet's processes (-want,+got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(fleet.Dir, ProcessesFile)); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Stop (stat: %v)", ProcessesFile, err)
	}
	if err := fleet.Stop(); err != nil {
		t.Errorf("a second Stop: %v, want nil", err)
	}
}

func newTestClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testLog sends the fleet's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
