package placement

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func newPlacement(name string, policy *placementv1beta1.PlacementPolicy) *placementv1beta1.ClusterResourcePlacement {
	return &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Group: "", Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
			Policy:            policy,
			Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
		},
	}
}

// snapshotsOf returns name -> (is-latest label, policy-index label, number-of-clusters annotation).
func snapshotsOf(crp string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		list := &placementv1beta1.ClusterSchedulingPolicySnapshotList{}
		g.Expect(k8sClient.List(ctx, list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: crp})).To(Succeed())
		out := map[string]string{}
		for _, s := range list.Items {
			out[s.Name] = fmt.Sprintf("latest=%s index=%s count=%s", s.Labels[placementv1beta1.IsLatestSnapshotLabel],
				s.Labels[placementv1beta1.PolicyIndexLabel], s.Annotations[placementv1beta1.NumberOfClustersAnnotation])
		}
		return out
	}
}

func update(crp *placementv1beta1.ClusterResourcePlacement, mutate func(*placementv1beta1.ClusterResourcePlacement)) {
	GinkgoHelper()
	Eventually(func() error {
		if err := k8sClient.Get(ctx, types.NamespacedName{Name: crp.Name}, crp); err != nil {
			return err
		}
		mutate(crp)
		return k8sClient.Update(ctx, crp)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

var _ = Describe("Scheduling policy snapshots", func() {
	It("keeps one PickN snapshot while the placement scales, and moves to the next index when the policy changes", func() {
		crp := newPlacement("pickn", &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To[int32](1)})
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(snapshotsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-0": "latest=true index=0 count=1"}))

		update(crp, func(c *placementv1beta1.ClusterResourcePlacement) { c.Spec.Policy.NumberOfClusters = ptr.To[int32](3) })
		Eventually(snapshotsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-0": "latest=true index=0 count=3"}))

		update(crp, func(c *placementv1beta1.ClusterResourcePlacement) {
			c.Spec.Policy.Tolerations = []placementv1beta1.Toleration{{Key: "gpu", Operator: "Exists"}}
		})
		Eventually(snapshotsOf("pickn")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"pickn-0": "latest=false index=0 count=3", "pickn-1": "latest=true index=1 count=3"}))
	})

	It("keeps at most revisionHistoryLimit snapshots, dropping the oldest", func() {
		crp := newPlacement("limited", &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickFixedPlacementType, ClusterNames: []string{"member1"}})
		crp.Spec.RevisionHistoryLimit = ptr.To[int32](2)
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(snapshotsOf("limited")).WithTimeout(timeout).WithPolling(interval).Should(HaveLen(1))
		for i, clusters := range [][]string{{"member1", "member2"}, {"member2"}, {"member3"}} {
			update(crp, func(c *placementv1beta1.ClusterResourcePlacement) { c.Spec.Policy.ClusterNames = clusters })
			Eventually(snapshotsOf("limited")).WithTimeout(timeout).WithPolling(interval).
				Should(HaveKeyWithValue(fmt.Sprintf("limited-%d", i+1), fmt.Sprintf("latest=true index=%d count=", i+1)))
		}
		Expect(snapshotsOf("limited")(Default)).To(Equal(map[string]string{
			"limited-2": "latest=false index=2 count=",
			"limited-3": "latest=true index=3 count=",
		}))
	})

	It("recreates a deleted latest snapshot and removes all snapshots with the placement", func() {
		crp := newPlacement("short-lived", nil)
		Expect(k8sClient.Create(ctx, crp)).To(Succeed())
		Eventually(snapshotsOf("short-lived")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"short-lived-0": "latest=true index=0 count="}))
		// The placement controller added the scheduler's finalizer with its
		// own, before it wrote the snapshot.
		got := &placementv1beta1.ClusterResourcePlacement{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "short-lived"}, got)).To(Succeed())
		Expect(got.Finalizers).To(ConsistOf(placementv1beta1.PlacementCleanupFinalizer, placementv1beta1.SchedulerCleanupFinalizer))

		Expect(k8sClient.Delete(ctx, &placementv1beta1.ClusterSchedulingPolicySnapshot{ObjectMeta: metav1.ObjectMeta{Name: "short-lived-0"}})).To(Succeed())
		Eventually(snapshotsOf("short-lived")).WithTimeout(timeout).WithPolling(interval).
			Should(Equal(map[string]string{"short-lived-0": "latest=true index=0 count="}))

		Expect(k8sClient.Delete(ctx, crp)).To(Succeed())
		Eventually(snapshotsOf("short-lived")).WithTimeout(timeout).WithPolling(interval).Should(BeEmpty())
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: "short-lived"}, &placementv1beta1.ClusterResourcePlacement{})
		}).WithTimeout(timeout).WithPolling(interval).Should(Satisfy(apierrors.IsNotFound))
	})
})
