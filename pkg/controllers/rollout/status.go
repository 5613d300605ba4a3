package rollout

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// rolloutStarted is the RolloutStarted condition of a binding the rollout
// has pointed at target: the work generator may now place what the binding
// says at its current generation.
func rolloutStarted(b *placementv1beta1.ClusterResourceBinding, target string) metav1.Condition {
	return metav1.Condition{
		Type:               string(placementv1beta1.ResourceBindingRolloutStarted),
		Status:             metav1.ConditionTrue,
		Reason:             placementv1beta1.BindingRolloutStartedReason,
		Message:            fmt.Sprintf("The rolling update started placing resource snapshot %s on the cluster", target),
		ObservedGeneration: b.Generation,
	}
}

// rolloutNotStarted is the RolloutStarted condition of a binding the rolling
// update holds back, with the reason in message.
func rolloutNotStarted(b *placementv1beta1.ClusterResourceBinding, message string) metav1.Condition {
	return metav1.Condition{
		Type:               string(placementv1beta1.ResourceBindingRolloutStarted),
		Status:             metav1.ConditionFalse,
		Reason:             placementv1beta1.BindingRolloutNotStartedYetReason,
		Message:            message,
		ObservedGeneration: b.Generation,
	}
}
