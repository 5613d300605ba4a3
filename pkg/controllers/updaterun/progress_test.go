package updaterun

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

var progressStart = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func clusterCondition(t placementv1beta1.ClusterUpdatingStatusConditionType, reason string) metav1.Condition {
	return metav1.Condition{Type: string(t), Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(progressStart)}
}

// progressRunStatus is a run of one stage whose clusters a, b and c are all
// started, and a deletion stage without clusters.
func progressRunStatus() *placementv1beta1.UpdateRunStatus {
	started := clusterCondition(placementv1beta1.ClusterUpdatingConditionStarted, placementv1beta1.ClusterUpdatingStartedReason)
	stage := placementv1beta1.StageUpdatingStatus{
		StageName: "all",
		StartTime: &metav1.Time{Time: progressStart},
		Conditions: []metav1.Condition{{
			Type: string(placementv1beta1.StageUpdatingConditionProgressing), Status: metav1.ConditionTrue,
			Reason: placementv1beta1.StageUpdatingStartedReason, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(progressStart),
		}},
	}
	for _, name := range []string{"a", "b", "c"} {
		stage.Clusters = append(stage.Clusters, placementv1beta1.ClusterUpdatingStatus{ClusterName: name, Conditions: []metav1.Condition{started}})
	}
	return &placementv1beta1.UpdateRunStatus{
		StagesStatus:        []placementv1beta1.StageUpdatingStatus{stage},
		DeletionStageStatus: &placementv1beta1.StageUpdatingStatus{StageName: placementv1beta1.UpdateRunDeleteStageName},
	}
}

func finish(s *placementv1beta1.StageUpdatingStatus, cluster int, reason string) {
	s.Clusters[cluster].Conditions = append(s.Clusters[cluster].Conditions, clusterCondition(placementv1beta1.ClusterUpdatingConditionSucceeded, reason))
}

func TestCompareRunStatus(t *testing.T) {
	tests := []struct {
		name   string
		change func(*placementv1beta1.UpdateRunStatus)
		want   statusChange
	}{
		{
			name:   "nothing changes",
			change: func(*placementv1beta1.UpdateRunStatus) {},
			want:   unchanged,
		},
		{
			name: "a cluster finishes",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 0, placementv1beta1.ClusterUpdatingSucceededReason)
			},
			want: clustersFinished,
		},
		{
			name: "two clusters finish",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 0, placementv1beta1.ClusterUpdatingSucceededReason)
				finish(&s.StagesStatus[0], 2, placementv1beta1.ClusterUpdatingSucceededReason)
			},
			want: clustersFinished,
		},
		{
			name: "a cluster is skipped",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 1, placementv1beta1.ClusterUpdatingSkippedReason)
			},
			want: decided,
		},
		{
			name: "a cluster finishes and the stage succeeds",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 0, placementv1beta1.ClusterUpdatingSucceededReason)
				meta.SetStatusCondition(&s.StagesStatus[0].Conditions, metav1.Condition{
					Type: string(placementv1beta1.StageUpdatingConditionSucceeded), Status: metav1.ConditionTrue, Reason: placementv1beta1.StageUpdatingSucceededReason,
				})
			},
			want: decided,
		},
		{
			name: "a cluster finishes and the run's condition changes",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 0, placementv1beta1.ClusterUpdatingSucceededReason)
				meta.SetStatusCondition(&s.Conditions, metav1.Condition{
					Type: string(placementv1beta1.StagedUpdateRunConditionProgressing), Status: metav1.ConditionFalse, Reason: placementv1beta1.UpdateRunStuckReason,
				})
			},
			want: decided,
		},
		{
			name: "a cluster finishes and another fails",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(&s.StagesStatus[0], 0, placementv1beta1.ClusterUpdatingSucceededReason)
				c := clusterCondition(placementv1beta1.ClusterUpdatingConditionSucceeded, placementv1beta1.ClusterUpdatingFailedReason)
				c.Status = metav1.ConditionFalse
				s.StagesStatus[0].Clusters[1].Conditions = append(s.StagesStatus[0].Clusters[1].Conditions, c)
			},
			want: decided,
		},
		{
			name: "a cluster of the deletion stage is removed",
			change: func(s *placementv1beta1.UpdateRunStatus) {
				finish(s.DeletionStageStatus, 0, placementv1beta1.ClusterUpdatingSucceededReason)
			},
			want: clustersFinished,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := progressRunStatus(), progressRunStatus()
			// The deletion stage removes one cluster, started already.
			for _, s := range []*placementv1beta1.UpdateRunStatus{before, after} {
				s.DeletionStageStatus.Clusters = []placementv1beta1.ClusterUpdatingStatus{{ClusterName: "gone", Conditions: []metav1.Condition{
					clusterCondition(placementv1beta1.ClusterUpdatingConditionStarted, placementv1beta1.ClusterUpdatingStartedReason),
				}}}
			}
			tt.change(after)
			snapshot := after.DeepCopy()
			if got := compareRunStatus(before, after); got != tt.want {
				t.Errorf("compareRunStatus() = %v, want %v", got, tt.want)
			}
			if !equality.Semantic.DeepEqual(snapshot, after) {
				t.Error("compareRunStatus() changed the status it was given")
			}
		})
	}
}

func TestProgressPace(t *testing.T) {
	for clusters, want := range map[int]time.Duration{0: 0, 3: 750 * time.Millisecond, 20: 5 * time.Second, 60: 15 * time.Second, 1000: 15 * time.Second} {
		if got := progressPace(clusters); got != want {
			t.Errorf("progressPace(%d) = %v, want %v", clusters, got, want)
		}
	}
}

func TestPassSpacingHold(t *testing.T) {
	now := progressStart
	s := newPassSpacing(DefaultBindingPassSpacing)
	s.now = func() time.Time { return now }
	if got := s.hold("run", time.Second); got != 0 {
		t.Errorf("hold() of a run never written = %v, want 0", got)
	}
	s.written("run")
	now = now.Add(300 * time.Millisecond)
	if got := s.hold("run", time.Second); got != 700*time.Millisecond {
		t.Errorf("hold() 300ms after a write = %v, want 700ms", got)
	}
	now = now.Add(time.Second)
	if got := s.hold("run", time.Second); got != 0 {
		t.Errorf("hold() after the pace = %v, want 0", got)
	}
}

// TestReconcileHoldsBackProgress checks what a pass leaves on the API server
// when clusters finish: a cluster finishing right after a status write is
// held back and written once the pace has passed; the stage finishing is
// written at once.
func TestReconcileHoldsBackProgress(t *testing.T) {
	ctx := context.Background()
	apply := &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}
	crp := &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: "crp"},
		Spec:       placementv1beta1.PlacementSpec{Strategy: placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType}},
	}
	run := &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: "run", Generation: 1, Finalizers: []string{placementv1beta1.ClusterStagedUpdateRunFinalizer}},
		Spec:       placementv1beta1.UpdateRunSpec{PlacementName: "crp", StagedUpdateStrategyName: "strategy", State: placementv1beta1.StateRun},
	}
	run.Status = *progressRunStatus()
	run.Status.ResourceSnapshotIndexUsed = "1"
	run.Status.ApplyStrategy = apply
	run.Status.UpdateStrategySnapshot = &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{{Name: "all", MaxConcurrency: &intstr.IntOrString{Type: intstr.Int, IntVal: 3}}}}
	run.Status.Conditions = []metav1.Condition{{
		Type: string(placementv1beta1.StagedUpdateRunConditionInitialized), Status: metav1.ConditionTrue,
		Reason: placementv1beta1.UpdateRunInitializeSucceededReason, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(progressStart),
	}}
	objs := []client.Object{crp, run}
	var bindings []*placementv1beta1.ClusterResourceBinding
	for _, name := range []string{"a", "b", "c"} {
		objs = append(objs, &clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
		b := &placementv1beta1.ClusterResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "crp-" + name, Generation: 1, Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"}},
			Spec: placementv1beta1.ResourceBindingSpec{
				State: placementv1beta1.BindingStateBound, ResourceSnapshotName: "crp-1-snapshot", TargetCluster: name, ApplyStrategy: apply,
			},
		}
		bindings = append(bindings, b)
		objs = append(objs, b)
	}
	writes := 0
	c := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(objs...).
		WithStatusSubresource(&placementv1beta1.ClusterStagedUpdateRun{}, &placementv1beta1.ClusterResourceBinding{}).
		WithIndex(&placementv1beta1.ClusterResourceBinding{}, cacheindex.Placement, cacheindex.PlacementOf).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				if _, ok := obj.(*placementv1beta1.ClusterStagedUpdateRun); ok {
					writes++
				}
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		}).Build()
	r := NewReconciler(c, c, clocktesting.NewFakePassiveClock(progressStart), events.NewFakeRecorder(100), time.Hour)
	now := progressStart
	r.spacing.now = func() time.Time { return now }
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "run"}}

	reconcileRun := func() reconcile.Result {
		t.Helper()
		res, err := r.Reconcile(ctx, req)
		if err != nil {
			t.Fatalf("Reconcile(): %v", err)
		}
		return res
	}
	available := func(i int) {
		t.Helper()
		b := bindings[i]
		if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			t.Fatal(err)
		}
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
			Type: string(placementv1beta1.ResourceBindingAvailable), Status: metav1.ConditionTrue, Reason: "AllWorkAreAvailable", ObservedGeneration: b.Generation,
		})
		if err := c.Status().Update(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	finished := func() int {
		t.Helper()
		got := &placementv1beta1.ClusterStagedUpdateRun{}
		if err := c.Get(ctx, req.NamespacedName, got); err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := range got.Status.StagesStatus[0].Clusters {
			if clusterFinished(&got.Status.StagesStatus[0].Clusters[i]) {
				n++
			}
		}
		return n
	}

	// The first pass reports the run progressing: written at once.
	reconcileRun()
	if writes != 1 {
		t.Fatalf("first pass wrote %d time(s), want 1", writes)
	}

	// Cluster a finishes right after that write: held back for the pace
	// of a three-cluster run.
	now = now.Add(100 * time.Millisecond)
	available(0)
	if res := reconcileRun(); res.RequeueAfter != 650*time.Millisecond {
		t.Errorf("Reconcile() = %+v with a cluster finished 100ms after a write, want RequeueAfter 650ms", res)
	}
	if writes != 1 || finished() != 0 {
		t.Errorf("after a held-back pass: %d write(s) and %d finished cluster(s) stored, want 1 and 0", writes, finished())
	}

	// Once the pace has passed, the pass writes it.
	now = now.Add(650 * time.Millisecond)
	reconcileRun()
	if writes != 2 || finished() != 1 {
		t.Errorf("after the pace: %d write(s) and %d finished cluster(s) stored, want 2 and 1", writes, finished())
	}

	// The last clusters finish right after: the stage succeeds, written at once.
	now = now.Add(10 * time.Millisecond)
	available(1)
	available(2)
	reconcileRun()
	if writes != 3 || finished() != 3 {
		t.Errorf("after the stage finished: %d write(s) and %d finished cluster(s) stored, want 3 and 3", writes, finished())
	}
}
