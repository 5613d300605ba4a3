package updaterun

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
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

// TestExecuteStageStartsAWave checks the start of a wave: the clusters start
// in stage order up to the stage's concurrency, a cluster already available
// on the run's snapshot succeeds without a write or a slot, and when a
// write fails, the clusters whose writes succeeded are recorded as started
// and the rest are left for the next pass.
func TestExecuteStageStartsAWave(t *testing.T) {
	ctx := context.Background()
	apply := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}
	clusters := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}
	cases := map[string]struct {
		// current names the clusters already available on the run's
		// snapshot, fail those whose binding writes fail.
		current, fail []string
		wantStarted   []string
		wantSucceeded []string
		wantErr       bool
	}{
		"half the stage at once": {
			wantStarted: []string{"c0", "c1", "c2", "c3"},
		},
		"a cluster already on the snapshot takes no slot": {
			current:       []string{"c1"},
			wantStarted:   []string{"c0", "c1", "c2", "c3", "c4"},
			wantSucceeded: []string{"c1"},
		},
		"a failed write stops the wave after its batch": {
			// The writes go in batches of 1 and 2: c0, then c1 and c2.
			fail:        []string{"c2"},
			wantStarted: []string{"c0", "c1"},
			wantErr:     true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var objs []client.Object
			for _, name := range clusters {
				b := &placementv1beta1.ClusterResourceBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "crp-" + name, Generation: 1},
					Spec: placementv1beta1.ResourceBindingSpec{
						State: placementv1beta1.BindingStateBound, ResourceSnapshotName: "crp-0-snapshot", TargetCluster: name, ApplyStrategy: apply,
					},
				}
				if slices.Contains(tc.current, name) {
					b.Spec.ResourceSnapshotName = "crp-1-snapshot"
					b.Status.Conditions = []metav1.Condition{{
						Type: string(placementv1beta1.ResourceBindingAvailable), Status: metav1.ConditionTrue, Reason: "AllWorkAreAvailable",
						ObservedGeneration: 1, LastTransitionTime: metav1.Now(),
					}}
				}
				objs = append(objs, b)
			}
			var mu sync.Mutex
			var writes []string
			c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(objs...).
				WithStatusSubresource(&placementv1beta1.ClusterResourceBinding{}).
				WithInterceptorFuncs(interceptor.Funcs{Update: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
					b := obj.(*placementv1beta1.ClusterResourceBinding)
					mu.Lock()
					writes = append(writes, b.Spec.TargetCluster)
					mu.Unlock()
					if slices.Contains(tc.fail, b.Spec.TargetCluster) {
						return fmt.Errorf("webhook denied %s", b.Spec.TargetCluster)
					}
					return cl.Update(ctx, obj, opts...)
				}}).Build()
			bindings := &placementv1beta1.ClusterResourceBindingList{}
			if err := c.List(ctx, bindings); err != nil {
				t.Fatal(err)
			}
			f := &fleet{bindings: map[string]*placementv1beta1.ClusterResourceBinding{}, members: map[string]*clusterv1beta1.MemberCluster{}}
			stage := &placementv1beta1.StageUpdatingStatus{StageName: "s"}
			for i := range bindings.Items {
				b := &bindings.Items[i]
				f.bindings[b.Spec.TargetCluster] = b
				f.members[b.Spec.TargetCluster] = &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: b.Spec.TargetCluster}}
			}
			for _, name := range clusters {
				stage.Clusters = append(stage.Clusters, placementv1beta1.ClusterUpdatingStatus{ClusterName: name})
			}
			half := intstr.FromString("50%")
			run := &placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "run", Generation: 1}}
			run.Spec.PlacementName = "crp"
			run.Status.ApplyStrategy = apply
			run.Status.ResourceSnapshotIndexUsed = "1"
			p := &pass{r: &Reconciler{client: c, stuckThreshold: time.Minute}, run: run, now: time.Now()}

			done, err := p.executeStage(ctx, f, &placementv1beta1.StageConfig{Name: "s", MaxConcurrency: &half}, stage, false)

			if (err != nil) != tc.wantErr || done {
				t.Fatalf("executeStage = %v, %v; want not done, error %v", done, err, tc.wantErr)
			}
			var started, succeeded []string
			for i := range stage.Clusters {
				if clusterStarted(&stage.Clusters[i]) {
					started = append(started, stage.Clusters[i].ClusterName)
				}
				if clusterFinished(&stage.Clusters[i]) {
					succeeded = append(succeeded, stage.Clusters[i].ClusterName)
				}
			}
			if diff := cmp.Diff(tc.wantStarted, started, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("started clusters (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSucceeded, succeeded, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("succeeded clusters (-want,+got):\n%s", diff)
			}
			if stage.StartTime == nil {
				t.Errorf("the stage has no start time")
			}
			// Every binding written, and only those, is on the snapshot
			// and names the run.
			slices.Sort(writes)
			for _, name := range clusters {
				b := &placementv1beta1.ClusterResourceBinding{}
				if err := c.Get(ctx, client.ObjectKey{Name: "crp-" + name}, b); err != nil {
					t.Fatal(err)
				}
				wrote := slices.Contains(writes, name) && !slices.Contains(tc.fail, name)
				if named := b.Annotations[placementv1beta1.BindingUpdateRunAnnotation] == "run"; named != wrote {
					t.Errorf("binding of %s names the run: %v, want %v (writes %v)", name, named, wrote, writes)
				}
				if slices.Contains(tc.current, name) && slices.Contains(writes, name) {
					t.Errorf("the binding of %s, already on the snapshot, was written", name)
				}
			}
		})
	}
}
