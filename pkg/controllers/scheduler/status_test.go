package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func policySnapshot(annotations map[string]string, policy *placementv1beta1.PlacementPolicy) *placementv1beta1.ClusterSchedulingPolicySnapshot {
	return &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{Name: "crp-0", Generation: 1, Annotations: annotations},
		Spec:       placementv1beta1.SchedulingPolicySnapshotSpec{Policy: policy, PolicyHash: []byte("hash")},
	}
}

func TestNumberOfClusters(t *testing.T) {
	pickN := &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To[int32](3)}
	tests := map[string]struct {
		snapshot *placementv1beta1.ClusterSchedulingPolicySnapshot
		want     int
	}{
		"the annotation wins over the policy": {
			snapshot: policySnapshot(map[string]string{placementv1beta1.NumberOfClustersAnnotation: "1"}, pickN), want: 1,
		},
		"no annotation: the policy's number": {snapshot: policySnapshot(nil, pickN), want: 3},
		"an invalid annotation: the policy's number": {
			snapshot: policySnapshot(map[string]string{placementv1beta1.NumberOfClustersAnnotation: "-2"}, pickN), want: 3,
		},
		"neither: zero": {snapshot: policySnapshot(nil, nil), want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := numberOfClusters(tc.snapshot); got != tc.want {
				t.Errorf("numberOfClusters = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSnapshotStatus(t *testing.T) {
	picked := []placementv1beta1.ClusterDecision{{ClusterName: "member1", Selected: true, Reason: pickedReason}}
	earlier := metav1.NewTime(testTime.Add(-time.Hour))
	tests := map[string]struct {
		snapshot      *placementv1beta1.ClusterSchedulingPolicySnapshot
		plan          schedulePlan
		crpGeneration int64
		want          placementv1beta1.SchedulingPolicySnapshotStatus
	}{
		"fulfilled, generation from the annotation": {
			snapshot:      policySnapshot(map[string]string{placementv1beta1.CRPGenerationAnnotation: "1"}, nil),
			plan:          schedulePlan{fulfilled: true, message: "Picked all 1 member clusters that match the scheduling policy", decisions: picked},
			crpGeneration: 4,
			want: placementv1beta1.SchedulingPolicySnapshotStatus{
				ObservedCRPGeneration: 1,
				Conditions: []metav1.Condition{{
					Type: "Scheduled", Status: metav1.ConditionTrue, Reason: "SchedulingPolicyFulfilled", ObservedGeneration: 1,
					Message: "Picked all 1 member clusters that match the scheduling policy",
				}},
				ClusterDecisions: picked,
			},
		},
		"unfulfilled, generation from the placement when the annotation is missing": {
			snapshot:      policySnapshot(nil, nil),
			plan:          schedulePlan{message: "Picked 0 of the 1 member clusters named by the policy; not picked: x (cluster not found)"},
			crpGeneration: 4,
			want: placementv1beta1.SchedulingPolicySnapshotStatus{
				ObservedCRPGeneration: 4,
				Conditions: []metav1.Condition{{
					Type: "Scheduled", Status: metav1.ConditionFalse, Reason: "SchedulingPolicyUnfulfilled", ObservedGeneration: 1,
					Message: "Picked 0 of the 1 member clusters named by the policy; not picked: x (cluster not found)",
				}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := snapshotStatus(tc.snapshot, &tc.plan, tc.crpGeneration)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("snapshotStatus (-want,+got):\n%s", diff)
			}
		})
	}

	t.Run("a message change keeps the transition time, a status change moves it", func(t *testing.T) {
		s := policySnapshot(nil, nil)
		s.Status.Conditions = []metav1.Condition{{Type: "Scheduled", Status: metav1.ConditionTrue, Reason: "SchedulingPolicyFulfilled", LastTransitionTime: earlier}}
		got := snapshotStatus(s, &schedulePlan{fulfilled: true, message: "new message"}, 1)
		if lt := got.Conditions[0].LastTransitionTime; !lt.Equal(&earlier) {
			t.Errorf("LastTransitionTime = %v, want it kept at %v", lt, earlier)
		}
		got = snapshotStatus(s, &schedulePlan{message: "short"}, 1)
		if lt := got.Conditions[0].LastTransitionTime; lt.Equal(&earlier) {
			t.Errorf("LastTransitionTime kept at %v, want it moved by the change to False", lt)
		}
	})
}

func TestWriteSnapshotStatus(t *testing.T) {
	ctx := context.Background()
	s := policySnapshot(map[string]string{placementv1beta1.CRPGenerationAnnotation: "1"}, nil)
	c := newFakeClient(s)
	r := NewReconciler(c)
	current := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(s), current); err != nil {
		t.Fatal(err)
	}
	status := snapshotStatus(current, &schedulePlan{fulfilled: true, message: "m"}, 1)
	if err := r.writeSnapshotStatus(ctx, current, status); err != nil {
		t.Fatalf("writeSnapshotStatus: %v", err)
	}
	written := &placementv1beta1.ClusterSchedulingPolicySnapshot{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(s), written); err != nil {
		t.Fatal(err)
	}
	if cond := written.GetCondition("Scheduled"); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Fatalf("Scheduled condition = %v, want True", cond)
	}

	// Nothing changed: no write, so even the stale copy succeeds.
	if err := r.writeSnapshotStatus(ctx, written, snapshotStatus(written, &schedulePlan{fulfilled: true, message: "m"}, 1)); err != nil {
		t.Errorf("writeSnapshotStatus without a change: %v", err)
	}
	// A change from a stale copy conflicts.
	if err := r.writeSnapshotStatus(ctx, current, snapshotStatus(current, &schedulePlan{message: "other"}, 1)); !apierrors.IsConflict(err) {
		t.Errorf("writeSnapshotStatus from a stale snapshot: error = %v, want a conflict", err)
	}
}
