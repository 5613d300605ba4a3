// Package condition builds status conditions that more than one controller
// writes, so that they read the same whoever writes them, and compares
// condition lists.
package condition

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// RolloutStartedByRun is a binding's RolloutStarted condition once an update
// run bound it to the resource snapshot of the given index, at the binding's
// generation. The work generator writes it for the run's ordinary binding
// writes; the run writes it itself when it takes over a binding that a
// rolling update held back.
func RolloutStartedByRun(generation int64, snapshotIndex, run string) metav1.Condition {
	return metav1.Condition{
		Type:               string(placementv1beta1.ResourceBindingRolloutStarted),
		Status:             metav1.ConditionTrue,
		Reason:             placementv1beta1.BindingRolloutStartedReason,
		Message:            fmt.Sprintf("Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: %s, updateRun: %s", snapshotIndex, run),
		ObservedGeneration: generation,
	}
}
