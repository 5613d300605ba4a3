package updaterun

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/fieldguard"
)

func TestCompareRunStatusCoversEveryField(t *testing.T) {
	fieldguard.Covers(t, map[reflect.Type][]string{
		reflect.TypeFor[placementv1beta1.UpdateRunStatus](): {"PolicySnapshotIndexUsed", "PolicyObservedClusterCount", "ResourceSnapshotIndexUsed",
			"ApplyStrategy", "UpdateStrategySnapshot", "StagesStatus", "DeletionStageStatus", "Conditions"},
		reflect.TypeFor[placementv1beta1.StageUpdatingStatus](): {"StageName", "Clusters", "AfterStageTaskStatus", "BeforeStageTaskStatus",
			"StartTime", "EndTime", "Conditions"},
		reflect.TypeFor[placementv1beta1.ClusterUpdatingStatus](): {"ClusterName", "ResourceOverrideSnapshots", "ClusterResourceOverrideSnapshots", "Conditions"},
		reflect.TypeFor[placementv1beta1.StageTaskStatus]():       {"Type", "ApprovalRequestName", "Conditions"},
	})
}

// TestCompareRunStatusTellsEveryFieldApart changes one field at a time of a
// run's status; each change is a decision, as semantic equality tells.
func TestCompareRunStatusTellsEveryFieldApart(t *testing.T) {
	later := metav1.NewTime(progressStart.Add(time.Minute))
	full := func() *placementv1beta1.UpdateRunStatus {
		s := progressRunStatus()
		s.PolicySnapshotIndexUsed, s.PolicyObservedClusterCount, s.ResourceSnapshotIndexUsed = "0", 3, "1"
		s.ApplyStrategy = &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeClientSideApply}
		s.UpdateStrategySnapshot = &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{{Name: "all"}}}
		s.Conditions = []metav1.Condition{clusterCondition("Progressing", "Started")}
		st := &s.StagesStatus[0]
		st.BeforeStageTaskStatus = []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "before"}}
		st.AfterStageTaskStatus = []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeTimedWait, Conditions: []metav1.Condition{clusterCondition("WaitTimeElapsed", "Waiting")}}}
		st.Clusters[0].ResourceOverrideSnapshots = []placementv1beta1.NamespacedName{{Name: "ro", Namespace: "ns"}}
		st.Clusters[0].ClusterResourceOverrideSnapshots = []string{"cro"}
		return s
	}
	changes := map[string]func(*placementv1beta1.UpdateRunStatus){
		"policy index":   func(s *placementv1beta1.UpdateRunStatus) { s.PolicySnapshotIndexUsed = "1" },
		"observed count": func(s *placementv1beta1.UpdateRunStatus) { s.PolicyObservedClusterCount = 4 },
		"resource index": func(s *placementv1beta1.UpdateRunStatus) { s.ResourceSnapshotIndexUsed = "2" },
		"apply strategy": func(s *placementv1beta1.UpdateRunStatus) {
			s.ApplyStrategy.Type = placementv1beta1.ApplyStrategyTypeServerSideApply
		},
		"strategy snapshot":    func(s *placementv1beta1.UpdateRunStatus) { s.UpdateStrategySnapshot.Stages[0].Name = "other" },
		"run condition":        func(s *placementv1beta1.UpdateRunStatus) { s.Conditions[0].Reason = "Stuck" },
		"a stage more":         func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus = append(s.StagesStatus, s.StagesStatus[0]) },
		"no deletion stage":    func(s *placementv1beta1.UpdateRunStatus) { s.DeletionStageStatus = nil },
		"deletion stage start": func(s *placementv1beta1.UpdateRunStatus) { s.DeletionStageStatus.StartTime = &later },
		"stage name":           func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus[0].StageName = "other" },
		"stage start":          func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus[0].StartTime = &later },
		"stage end":            func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus[0].EndTime = &later },
		"stage condition": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].Conditions[0].Status = metav1.ConditionFalse
		},
		"before-stage task": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].BeforeStageTaskStatus[0].ApprovalRequestName = "x"
		},
		"after-stage task type": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].AfterStageTaskStatus[0].Type = placementv1beta1.StageTaskTypeApproval
		},
		"after-stage task condition": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].AfterStageTaskStatus[0].Conditions[0].LastTransitionTime = later
		},
		"a cluster gone": func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus[0].Clusters = s.StagesStatus[0].Clusters[1:] },
		"cluster name":   func(s *placementv1beta1.UpdateRunStatus) { s.StagesStatus[0].Clusters[1].ClusterName = "x" },
		"resource overrides": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].Clusters[0].ResourceOverrideSnapshots = nil
		},
		"cluster resource overrides": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].Clusters[0].ClusterResourceOverrideSnapshots[0] = "other"
		},
		"a cluster's start": func(s *placementv1beta1.UpdateRunStatus) {
			s.StagesStatus[0].Clusters[1].Conditions[0].LastTransitionTime = later
		},
		"a cluster finishes and its start changes": func(s *placementv1beta1.UpdateRunStatus) {
			finish(&s.StagesStatus[0], 1, placementv1beta1.ClusterUpdatingSucceededReason)
			s.StagesStatus[0].Clusters[1].Conditions[0].Message = "changed"
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			before, after := full(), full()
			change(after)
			if equality.Semantic.DeepEqual(before, after) {
				t.Fatal("the test case changes nothing")
			}
			if got := compareRunStatus(before, after); got != decided {
				t.Errorf("compareRunStatus() = %v, want decided", got)
			}
		})
	}
	t.Run("a cluster finishes, its condition first", func(t *testing.T) {
		before, after := full(), full()
		c := &after.StagesStatus[0].Clusters[2]
		c.Conditions = append([]metav1.Condition{clusterCondition(placementv1beta1.ClusterUpdatingConditionSucceeded, placementv1beta1.ClusterUpdatingSucceededReason)}, c.Conditions...)
		if got := compareRunStatus(before, after); got != clustersFinished {
			t.Errorf("compareRunStatus() = %v, want clustersFinished", got)
		}
	})
	t.Run("the same instants elsewhere", func(t *testing.T) {
		before, after := full(), full()
		east := time.FixedZone("east", 3600)
		start := metav1.NewTime(after.StagesStatus[0].StartTime.In(east))
		after.StagesStatus[0].StartTime = &start
		after.StagesStatus[0].Clusters[0].Conditions[0].LastTransitionTime = metav1.NewTime(progressStart.In(east))
		if got := compareRunStatus(before, after); got != unchanged {
			t.Errorf("compareRunStatus() = %v, want unchanged", got)
		}
	})
}

func TestCompareStageDoesNotAllocate(t *testing.T) {
	stage := func() *placementv1beta1.StageUpdatingStatus {
		s := &progressRunStatus().StagesStatus[0]
		s.Clusters = nil
		for i := range 100 {
			s.Clusters = append(s.Clusters, placementv1beta1.ClusterUpdatingStatus{
				ClusterName: fmt.Sprintf("member-%03d", i),
				Conditions:  []metav1.Condition{clusterCondition(placementv1beta1.ClusterUpdatingConditionStarted, placementv1beta1.ClusterUpdatingStartedReason)},
			})
		}
		return s
	}
	before, after := stage(), stage()
	finish(after, 7, placementv1beta1.ClusterUpdatingSucceededReason)
	if allocs := testing.AllocsPerRun(10, func() {
		if n, ok := compareStage(before, after); n != 1 || !ok {
			t.Fatalf("compareStage() = %d, %v; want 1, true", n, ok)
		}
	}); allocs != 0 {
		t.Errorf("compareStage allocates %v times over 100 clusters, want 0", allocs)
	}
}
