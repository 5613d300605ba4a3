package rollout

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var _ = Describe("Rolling update", func() {
	It("binds every picked cluster to the placement's snapshot as soon as there is one", func() {
		crp := "rolling"
		createPlacement(crp, placementv1beta1.RolloutStrategy{})
		for _, c := range clusters {
			createBinding(crp, c)
		}
		By("waiting while the placement has no resource snapshot")
		Consistently(bindingsOf(crp)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(map[string]string{
			"member-1": untouched, "member-2": untouched, "member-3": untouched, "member-4": untouched,
		}))

		By("binding all four clusters at once when the first snapshot appears")
		createLatestSnapshot(crp, 0)
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(allBoundTo(snapshotName(crp, 0))))
	})

	It("moves one cluster at a time to a new snapshot with maxUnavailable 1, each once the previous one is available", func() {
		crp := "one-at-a-time"
		startPlacement(crp, rollingUpdate(intstr.FromInt32(1), intstr.FromInt32(1)))

		createLatestSnapshot(crp, 1)
		for i, c := range clusters {
			By("moving " + c + " alone, and nothing else while it is not available at its new generation")
			want := map[string]string{}
			for j, other := range clusters {
				want[other] = heldOn(snapshotName(crp, 0))
				if j <= i {
					want[other] = boundTo(snapshotName(crp, 1))
				}
			}
			Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))
			Consistently(bindingsOf(crp)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(want))
			reportAvailable(bindingName(crp, c))
		}
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(allBoundTo(snapshotName(crp, 1))))
	})

	It("waits unavailablePeriodSeconds before counting a cluster with untrackable resources as available", func() {
		crp := "untrackable"
		strategy := rollingUpdate(intstr.FromInt32(1), intstr.FromInt32(1))
		strategy.RollingUpdate.UnavailablePeriodSeconds = ptr.To(3)
		startPlacement(crp, strategy)

		createLatestSnapshot(crp, 1)
		want := map[string]string{
			"member-1": boundTo(snapshotName(crp, 1)),
			"member-2": heldOn(snapshotName(crp, 0)), "member-3": heldOn(snapshotName(crp, 0)), "member-4": heldOn(snapshotName(crp, 0)),
		}
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))

		By("reporting member-1 applied, its availability not trackable")
		// Condition times are stored to the second.
		reported := time.Now().Truncate(time.Second)
		updateBinding(bindingName(crp, "member-1"), true, func(b *placementv1beta1.ClusterResourceBinding) {
			b.RemoveCondition(string(placementv1beta1.ResourceBindingAvailable))
			meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
				Type:               string(placementv1beta1.ResourceBindingAvailable),
				Status:             metav1.ConditionTrue,
				Reason:             placementv1beta1.BindingNotAllWorkAvailabilityTrackableReason,
				ObservedGeneration: b.Generation,
			})
		})
		Consistently(bindingsOf(crp)).WithTimeout(time.Until(reported.Add(2 * time.Second))).WithPolling(interval).Should(Equal(want))

		By("moving member-2 once the period is over, with no other event to wake the controller")
		want["member-2"] = boundTo(snapshotName(crp, 1))
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))
		Expect(time.Since(reported)).To(BeNumerically(">=", 3*time.Second))
	})

	It("deletes the binding of a cluster the scheduler let go", func() {
		crp := "shrinking"
		startPlacement(crp, placementv1beta1.RolloutStrategy{})

		unschedule(bindingName(crp, "member-4"))
		want := allBoundTo(snapshotName(crp, 0))
		delete(want, "member-4")
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))
	})

	It("replaces a cluster without losing availability (maxUnavailable 0, maxSurge 1): the old one goes once the new one is available", func() {
		crp := "replacing"
		startPlacement(crp, rollingUpdate(intstr.FromInt32(0), intstr.FromInt32(1)))

		By("binding the new cluster next to the one it replaces")
		createBinding(crp, "member-5")
		unschedule(bindingName(crp, "member-4"))
		want := allBoundTo(snapshotName(crp, 0))
		want["member-4"] = fmt.Sprintf("%s %q %s/%s(stale)", placementv1beta1.BindingStateUnscheduled, snapshotName(crp, 0),
			metav1.ConditionTrue, placementv1beta1.BindingRolloutStartedReason)
		want["member-5"] = boundTo(snapshotName(crp, 0))
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))

		By("keeping the old cluster while the new one is not available")
		Consistently(bindingsOf(crp)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(want))

		By("deleting the old cluster's binding once the new one is available")
		reportAvailable(bindingName(crp, "member-5"))
		delete(want, "member-4")
		Eventually(bindingsOf(crp)).WithTimeout(timeout).WithPolling(interval).Should(Equal(want))
	})
})

var _ = Describe("External rollout", func() {
	It("leaves the bindings of an External placement to update runs", func() {
		crp := "external"
		createPlacement(crp, placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType})
		createLatestSnapshot(crp, 0)
		for _, c := range clusters {
			createBinding(crp, c)
		}
		createBinding(crp, "member-5")
		unschedule(bindingName(crp, "member-5"))

		Consistently(bindingsOf(crp)).WithTimeout(holdFor).WithPolling(interval).Should(Equal(map[string]string{
			"member-1": untouched, "member-2": untouched, "member-3": untouched, "member-4": untouched,
			"member-5": fmt.Sprintf("%s %q -", placementv1beta1.BindingStateUnscheduled, ""),
		}))
	})
})
