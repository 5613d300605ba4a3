package reliability

import (
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// settingsNames are the config maps of every app: a member that applied an
// app's Work only in part lacks some, or has some at another value.
var settingsNames = []string{"settings-a", "settings-b", "settings-c"}

// app is a namespace holding the settings config maps, all at value, and an
// External placement of the namespace onto the members picked by policy.
func app(name, value, policy string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", name)
	for _, cm := range settingsNames {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  key: %s\n", cm, name, value)
	}
	b.WriteString("---\n" + framework.ExternalPlacementYAML(name, name, policy))
	return b.String()
}

// apply applies YAML documents to the hub with kubectl.
func apply(manifests ...string) {
	GinkgoHelper()
	kubectl(strings.Join(manifests, "\n---\n"), "apply", "-f", "-")
}

// waitForBindings waits until each placement has snapshot index 0 and a
// binding for each of its clusters, and returns the bindings by name.
func waitForBindings(clusters int, placements ...string) map[string]placementv1beta1.ClusterResourceBinding {
	GinkgoHelper()
	found := map[string]placementv1beta1.ClusterResourceBinding{}
	for _, crp := range placements {
		Eventually(func(g Gomega) {
			g.Expect(hub.Get(ctx, client.ObjectKey{Name: crp + "-0-snapshot"}, &placementv1beta1.ClusterResourceSnapshot{})).To(Succeed())
			list := &placementv1beta1.ClusterResourceBindingList{}
			g.Expect(hub.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
			g.Expect(list.Items).To(HaveLen(clusters))
			for _, b := range list.Items {
				found[b.Name] = b
			}
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed(), "placement %s", crp)
	}
	return found
}

// checkMovedOnce checks that each binding (as before its run) was moved to
// its placement's snapshot index 0 by exactly one spec change, as the audit
// saw them, and ends there, Bound, the same object. Another writer may change
// other parts of the spec (the scheduler records why it keeps a cluster that
// turned unhealthy); a run writing the same spec again changes nothing. It
// returns how many bindings moved once and how many did not.
func checkMovedOnce(a *audit, before map[string]placementv1beta1.ClusterResourceBinding) (once, otherwise int) {
	GinkgoHelper()
	for name, old := range before {
		b := &placementv1beta1.ClusterResourceBinding{}
		Expect(hub.Get(ctx, client.ObjectKey{Name: name}, b)).To(Succeed())
		target := old.Labels[placementv1beta1.PlacementTrackingLabel] + "-0-snapshot"
		moves := a.moves(name, target)
		if b.UID == old.UID && moves == 1 && b.Spec.ResourceSnapshotName == target && b.Spec.State == placementv1beta1.BindingStateBound {
			once++
			continue
		}
		otherwise++
		AddReportEntry("binding not moved exactly once", fmt.Sprintf("%s: moved to %s %d times, uid changed %v, now %s@%s; history %s",
			name, target, moves, b.UID != old.UID, b.Spec.State, b.Spec.ResourceSnapshotName, a.history(name)))
	}
	return once, otherwise
}

// waitForRuns waits until every run has succeeded, failing at once if one
// fails.
func waitForRuns(runs ...string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		for _, name := range runs {
			run := &placementv1beta1.ClusterStagedUpdateRun{}
			g.Expect(hub.Get(ctx, client.ObjectKey{Name: name}, run)).To(Succeed())
			c := meta.FindStatusCondition(run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionSucceeded))
			if c != nil && c.Status == metav1.ConditionFalse {
				StopTrying(fmt.Sprintf("run %s failed: %s: %s", name, c.Reason, c.Message)).Now()
			}
			g.Expect(c).NotTo(BeNil(), "run %s has not finished", name)
			g.Expect(c.Reason).To(Equal(placementv1beta1.UpdateRunSucceededReason), "run %s: %s", name, c.Message)
		}
	}).WithTimeout(runTimeout).WithPolling(time.Second).Should(Succeed())
}

// runCondition returns a run's condition of type t, or nil.
func runCondition(g Gomega, run string, t placementv1beta1.StagedUpdateRunConditionType) *metav1.Condition {
	r := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(hub.Get(ctx, client.ObjectKey{Name: run}, r)).To(Succeed())
	return meta.FindStatusCondition(r.Status.Conditions, string(t))
}

// expectAppOnMembers checks that each member holds every config map of the
// app at value: nothing is missing or half applied.
func expectAppOnMembers(name, value string, onMembers ...string) {
	GinkgoHelper()
	for _, m := range onMembers {
		for _, cm := range settingsNames {
			got := &corev1.ConfigMap{}
			Expect(members[m].Get(ctx, client.ObjectKey{Namespace: name, Name: cm}, got)).To(Succeed(), "%s on %s", cm, m)
			Expect(got.Data).To(HaveKeyWithValue("key", value), "%s/%s on %s", name, cm, m)
		}
	}
}

// cleanUp deletes what a spec created on the hub (runs first) and waits
// until its placements and namespaces are gone.
func cleanUp(runs, apps []string) {
	GinkgoHelper()
	for _, r := range runs {
		kubectl("", "delete", "clusterstagedupdaterun", r, "--ignore-not-found", "--wait=false")
	}
	for _, a := range apps {
		kubectl("", "delete", "crp", a, "--ignore-not-found", "--wait=false")
		kubectl("", "delete", "ns", a, "--ignore-not-found", "--wait=false")
	}
	Eventually(func(g Gomega) {
		for _, a := range apps {
			err := hub.Get(ctx, client.ObjectKey{Name: a}, &placementv1beta1.ClusterResourcePlacement{})
			g.Expect(client.IgnoreNotFound(err)).To(Succeed())
			g.Expect(err).To(HaveOccurred(), "placement %s still exists", a)
		}
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// approver approves the spec's approval requests as a person would, with
// the tutorial's status patch, once gate lets their stage through.
type approver struct {
	mu sync.Mutex
	// approved are the requests it approved, with their UID then.
	approved map[string]types.UID
	stop     chan struct{}
	done     chan struct{}
}

func startApprover(prefix string, gate func(stage string) bool) *approver {
	a := &approver{approved: map[string]types.UID{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer GinkgoRecover()
		defer close(a.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-tick.C:
			}
			list := &placementv1beta1.ClusterApprovalRequestList{}
			if err := hub.List(ctx, list); err != nil {
				continue // the hub API server may be restarting
			}
			for i := range list.Items {
				req := &list.Items[i]
				if !strings.HasPrefix(req.Name, prefix) || !gate(req.Spec.TargetStage) ||
					meta.IsStatusConditionTrue(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved)) {
					continue
				}
				patch := client.MergeFrom(req.DeepCopy())
				meta.SetStatusCondition(&req.Status.Conditions, metav1.Condition{
					Type: string(placementv1beta1.ApprovalRequestConditionApproved), Status: metav1.ConditionTrue,
					Reason: "lgtm", Message: "lgtm", ObservedGeneration: req.Generation,
				})
				if err := hub.Status().Patch(ctx, req, patch); err == nil {
					a.mu.Lock()
					a.approved[req.Name] = req.UID
					a.mu.Unlock()
				}
			}
		}
	}()
	return a
}

// finish stops the approver and checks that every approval it gave was kept:
// the request still says Approved and the run accepted it. It returns how
// many approvals it gave and how many were lost.
func (a *approver) finish() (given, lost int) {
	GinkgoHelper()
	close(a.stop)
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, uid := range a.approved {
		req := &placementv1beta1.ClusterApprovalRequest{}
		Expect(hub.Get(ctx, client.ObjectKey{Name: name}, req)).To(Succeed())
		if req.UID != uid ||
			!meta.IsStatusConditionTrue(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved)) ||
			!meta.IsStatusConditionTrue(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApprovalAccepted)) {
			lost++
			AddReportEntry("approval lost", fmt.Sprintf("%s: uid %s (approved %s), conditions %+v", name, req.UID, uid, req.Status.Conditions))
		}
	}
	return len(a.approved), lost
}
