package updaterun

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
)

// TestStartClusterWritesACopy checks that startCluster leaves the binding
// it is given (the cache's) as it is, and returns the binding it wrote, so
// that the pass judges the cluster by what it now asks of it.
func TestStartClusterWritesACopy(t *testing.T) {
	ctx := context.Background()
	apply := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}
	available := metav1.Condition{
		Type: string(placementv1beta1.ResourceBindingAvailable), Status: metav1.ConditionTrue, Reason: "AllWorkAreAvailable", ObservedGeneration: 1,
		LastTransitionTime: metav1.NewTime(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)),
	}
	heldBack := metav1.Condition{
		Type: string(placementv1beta1.ResourceBindingRolloutStarted), Status: metav1.ConditionFalse, Reason: "RolloutNotStartedYet", ObservedGeneration: 1,
		LastTransitionTime: available.LastTransitionTime,
	}
	cases := map[string]struct {
		snapshot    string
		conditions  []metav1.Condition
		wantWritten bool
		wantStarted bool
	}{
		"on an older snapshot":                {snapshot: "crp-0-snapshot", conditions: []metav1.Condition{available}, wantWritten: true},
		"held back on the run's snapshot":     {snapshot: "crp-1-snapshot", conditions: []metav1.Condition{heldBack}, wantWritten: true, wantStarted: true},
		"already bound to the run's snapshot": {snapshot: "crp-1-snapshot", conditions: []metav1.Condition{available}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			stored := &placementv1beta1.ClusterResourceBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "crp-a", Generation: 1},
				Spec: placementv1beta1.ResourceBindingSpec{
					State: placementv1beta1.BindingStateBound, ResourceSnapshotName: tc.snapshot, TargetCluster: "a", ApplyStrategy: apply,
				},
				Status: placementv1beta1.ResourceBindingStatus{Conditions: tc.conditions},
			}
			c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(stored).
				WithStatusSubresource(&placementv1beta1.ClusterResourceBinding{}).Build()
			cached := &placementv1beta1.ClusterResourceBinding{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(stored), cached); err != nil {
				t.Fatal(err)
			}
			before := cached.DeepCopy()
			run := &placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "run"}}
			run.Status.ApplyStrategy = apply
			run.Status.ResourceSnapshotIndexUsed = "1"
			p := &pass{r: &Reconciler{client: c}, run: run, now: time.Now()}

			got, err := p.startCluster(ctx, cached, "crp-1-snapshot")
			if err != nil {
				t.Fatalf("startCluster: %v", err)
			}
			if !equality.Semantic.DeepEqual(cached, before) {
				t.Errorf("startCluster changed the binding it was given:\n got %+v\nwant %+v", cached, before)
			}
			if written := got != cached; written != tc.wantWritten {
				t.Fatalf("startCluster wrote a copy: %v, want %v", written, tc.wantWritten)
			}
			if got.Spec.ResourceSnapshotName != "crp-1-snapshot" {
				t.Errorf("the returned binding is on %q, want crp-1-snapshot", got.Spec.ResourceSnapshotName)
			}
			if tc.wantWritten && !tc.wantStarted && got.Annotations[placementv1beta1.BindingUpdateRunAnnotation] != "run" {
				t.Errorf("the returned binding names run %q, want run", got.Annotations[placementv1beta1.BindingUpdateRunAnnotation])
			}
			if started := got.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted)); tc.wantStarted &&
				(started == nil || started.Status != metav1.ConditionTrue) {
				t.Errorf("the returned binding's RolloutStarted = %+v, want True", started)
			}
			stored = &placementv1beta1.ClusterResourceBinding{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(cached), stored); err != nil {
				t.Fatal(err)
			}
			if stored.ResourceVersion != got.ResourceVersion {
				t.Errorf("the returned binding is at resource version %s, the stored one at %s", got.ResourceVersion, stored.ResourceVersion)
			}
		})
	}
}
