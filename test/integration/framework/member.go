package framework

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// Heartbeat writes what the member agent of cluster name reports on each
// heartbeat, stamped at: joined, healthy, last seen at.
func Heartbeat(ctx context.Context, c client.Client, name string, at time.Time) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		imc := &clusterv1beta1.InternalMemberCluster{}
		key := types.NamespacedName{Namespace: fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, name), Name: name}
		g.Expect(c.Get(ctx, key, imc)).To(Succeed())
		stamp := metav1.NewTime(at)
		imc.Status.AgentStatus = []clusterv1beta1.AgentStatus{{
			Type: clusterv1beta1.MemberAgent,
			Conditions: []metav1.Condition{
				{Type: string(clusterv1beta1.AgentJoined), Status: metav1.ConditionTrue, Reason: clusterv1beta1.AgentJoinedReason, LastTransitionTime: stamp},
				{Type: string(clusterv1beta1.AgentHealthy), Status: metav1.ConditionTrue, Reason: clusterv1beta1.AgentHealthyReason, LastTransitionTime: stamp},
			},
			LastReceivedHeartbeat: stamp,
		}}
		g.Expect(c.Status().Update(ctx, imc)).To(Succeed())
	}).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
}
