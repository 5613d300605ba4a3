package condition

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRolloutStartedByRun(t *testing.T) {
	c := RolloutStartedByRun(3, "1", "example-run")
	want := metav1.Condition{
		Type: "RolloutStarted", Status: metav1.ConditionTrue, Reason: "RolloutStarted", ObservedGeneration: 3,
		Message: "Detected the new changes on the resources and started the rollout process, resourceSnapshotIndex: 1, updateRun: example-run",
	}
	if c != want {
		t.Errorf("RolloutStartedByRun() = %+v, want %+v", c, want)
	}
}
