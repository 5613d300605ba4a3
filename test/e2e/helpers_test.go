package e2e

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// approve approves an approval request with the tutorial's patch of the
// status subresource (the single-quoted form of SPEC.md).
func approve(request string) {
	GinkgoHelper()
	patch := fmt.Sprintf(`{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm","lastTransitionTime":%q,"observedGeneration":1}]}}`,
		time.Now().UTC().Format(time.RFC3339))
	Expect(kubectl("", "patch", "clusterapprovalrequests", request, "--type=merge", "-p", patch, "--subresource=status")).
		To(ContainSubstring("clusterapprovalrequest.placement.kubernetes-fleet.io/" + request + " patched"))
}

// runCondition returns a run's condition of type t, or nil.
func runCondition(g Gomega, run string, t placementv1beta1.StagedUpdateRunConditionType) *metav1.Condition {
	r := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(hub.Get(ctx, client.ObjectKey{Name: run}, r)).To(Succeed())
	return meta.FindStatusCondition(r.Status.Conditions, string(t))
}

// waitForRun waits until the run's condition t has the status and reason.
func waitForRun(run string, t placementv1beta1.StagedUpdateRunConditionType, status metav1.ConditionStatus, reason string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		c := runCondition(g, run, t)
		g.Expect(c).NotTo(BeNil(), "the run has no %s condition yet", t)
		g.Expect(c.Status).To(Equal(status), "%s: %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// waitForApprovalRequest waits until the run has created the request.
func waitForApprovalRequest(name string) {
	GinkgoHelper()
	Eventually(func() error {
		return hub.Get(ctx, client.ObjectKey{Name: name}, &placementv1beta1.ClusterApprovalRequest{})
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// configMapData returns a config map's data on a member, or nil if it does
// not exist there.
func configMapData(g Gomega, member, namespace, name string) map[string]string {
	cm := &corev1.ConfigMap{}
	err := members[member].Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cm)
	if client.IgnoreNotFound(err) == nil && err != nil {
		return nil
	}
	g.Expect(err).NotTo(HaveOccurred())
	return cm.Data
}

// onMember returns a function giving a member's config map data, for
// Eventually and Consistently.
func onMember(member, namespace, name string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string { return configMapData(g, member, namespace, name) }
}

// bindingSnapshot says where a placement's binding for cluster stands:
// "<state>@<resource snapshot>", or "" when there is none.
func bindingSnapshot(crp, cluster string) func(Gomega) string {
	return func(g Gomega) string {
		list := &placementv1beta1.ClusterResourceBindingList{}
		g.Expect(hub.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		for _, b := range list.Items {
			if b.Spec.TargetCluster == cluster {
				return string(b.Spec.State) + "@" + b.Spec.ResourceSnapshotName
			}
		}
		return ""
	}
}

// apply applies YAML to the hub with kubectl.
func apply(manifest string) {
	GinkgoHelper()
	kubectl(strings.TrimSpace(manifest)+"\n", "apply", "-f", "-")
}

// deleteRunsAndPlacement removes what a spec created on the hub and waits
// until the placement is gone, so the next spec starts from a clean hub.
func deleteRunsAndPlacement(crp string, runs ...string) {
	GinkgoHelper()
	for _, r := range runs {
		kubectl("", "delete", "clusterstagedupdaterun", r, "--ignore-not-found", "--wait=true")
	}
	kubectl("", "delete", "crp", crp, "--ignore-not-found", "--wait=true")
}
