package updaterun

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func member(name string, labels map[string]string) clusterv1beta1.MemberCluster {
	return clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func selector(labels map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labels}
}

// layout renders stages as stage name -> ordered cluster names.
func layout(stages []placementv1beta1.StageUpdatingStatus) map[string][]string {
	out := map[string][]string{}
	for _, s := range stages {
		names := []string{}
		for _, c := range s.Clusters {
			names = append(names, c.ClusterName)
		}
		out[s.StageName] = names
	}
	return out
}

func TestComputeStages(t *testing.T) {
	seedMembers := []clusterv1beta1.MemberCluster{
		member("member1", map[string]string{"environment": "canary", "order": "2"}),
		member("member2", map[string]string{"environment": "staging"}),
		member("member3", map[string]string{"environment": "canary", "order": "1"}),
	}
	all := map[string]bool{"member1": true, "member2": true, "member3": true}
	order := "order"
	cases := map[string]struct {
		stages   []placementv1beta1.StageConfig
		members  []clusterv1beta1.MemberCluster
		selected map[string]bool
		want     map[string][]string
		wantErr  string
	}{
		"the tutorial's strategy: staging, then canary sorted by order": {
			stages: []placementv1beta1.StageConfig{
				{Name: "staging", LabelSelector: selector(map[string]string{"environment": "staging"})},
				{Name: "canary", LabelSelector: selector(map[string]string{"environment": "canary"}), SortingLabelKey: &order},
			},
			members: seedMembers, selected: all,
			want: map[string][]string{"staging": {"member2"}, "canary": {"member3", "member1"}},
		},
		"without a sorting key clusters go by name": {
			stages:  []placementv1beta1.StageConfig{{Name: "all", LabelSelector: selector(nil)}},
			members: seedMembers, selected: all,
			want: map[string][]string{"all": {"member1", "member2", "member3"}},
		},
		"equal sorting values fall back to names": {
			stages: []placementv1beta1.StageConfig{{Name: "all", LabelSelector: selector(nil), SortingLabelKey: &order}},
			members: []clusterv1beta1.MemberCluster{
				member("b", map[string]string{"order": "1"}), member("a", map[string]string{"order": "1"}), member("c", map[string]string{"order": "0"}),
			},
			selected: map[string]bool{"a": true, "b": true, "c": true},
			want:     map[string][]string{"all": {"c", "a", "b"}},
		},
		"sorting values are compared as integers": {
			stages:   []placementv1beta1.StageConfig{{Name: "all", LabelSelector: selector(nil), SortingLabelKey: &order}},
			members:  []clusterv1beta1.MemberCluster{member("a", map[string]string{"order": "10"}), member("b", map[string]string{"order": "9"})},
			selected: map[string]bool{"a": true, "b": true},
			want:     map[string][]string{"all": {"b", "a"}},
		},
		"a stage without a selector takes no clusters and may be empty": {
			stages: []placementv1beta1.StageConfig{
				{Name: "nothing"},
				{Name: "all", LabelSelector: selector(nil)},
			},
			members: seedMembers, selected: all,
			want: map[string][]string{"nothing": {}, "all": {"member1", "member2", "member3"}},
		},
		"only selected clusters are placed": {
			stages:   []placementv1beta1.StageConfig{{Name: "all", LabelSelector: selector(nil)}},
			members:  seedMembers,
			selected: map[string]bool{"member2": true},
			want:     map[string][]string{"all": {"member2"}},
		},
		"a cluster in two stages is refused": {
			stages: []placementv1beta1.StageConfig{
				{Name: "canary", LabelSelector: selector(map[string]string{"environment": "canary"})},
				{Name: "everything", LabelSelector: selector(nil)},
			},
			members: seedMembers, selected: all,
			wantErr: `cluster "member1" is selected by both stage "canary" and stage "everything"`,
		},
		"clusters in no stage are all named": {
			stages:  []placementv1beta1.StageConfig{{Name: "staging", LabelSelector: selector(map[string]string{"environment": "staging"})}},
			members: seedMembers, selected: all,
			wantErr: "2 selected cluster(s) match no stage of the strategy: member1, member3",
		},
		"a sorting label that is not an integer is refused": {
			stages:   []placementv1beta1.StageConfig{{Name: "all", LabelSelector: selector(nil), SortingLabelKey: &order}},
			members:  []clusterv1beta1.MemberCluster{member("a", map[string]string{"order": "first"})},
			selected: map[string]bool{"a": true},
			wantErr:  `cluster "a" has "order"="first", which is not an integer`,
		},
		"two timed waits after a stage are refused": {
			stages: []placementv1beta1.StageConfig{{Name: "s", LabelSelector: selector(nil), AfterStageTasks: []placementv1beta1.StageTask{
				{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}},
				{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}},
			}}},
			members: seedMembers, selected: all,
			wantErr: "two TimedWait tasks",
		},
		"a zero wait is refused": {
			stages: []placementv1beta1.StageConfig{{Name: "s", LabelSelector: selector(nil), AfterStageTasks: []placementv1beta1.StageTask{
				{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{}},
			}}},
			members: seedMembers, selected: all,
			wantErr: "needs a waitTime above zero",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := computeStages("run", &placementv1beta1.UpdateStrategySpec{Stages: tc.stages}, tc.members, tc.selected)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !isRunError(err) {
					t.Fatalf("computeStages() error = %v, want a run error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("computeStages() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, layout(got)); diff != "" {
				t.Errorf("computeStages() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestComputeStagesNamesApprovalRequests(t *testing.T) {
	stages, err := computeStages("example-run", &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{{
		Name:             "canary",
		BeforeStageTasks: []placementv1beta1.StageTask{{Type: placementv1beta1.StageTaskTypeApproval}},
		AfterStageTasks: []placementv1beta1.StageTask{
			{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}},
			{Type: placementv1beta1.StageTaskTypeApproval},
		},
	}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := placementv1beta1.StageUpdatingStatus{
		StageName:             "canary",
		Clusters:              []placementv1beta1.ClusterUpdatingStatus{},
		BeforeStageTaskStatus: []placementv1beta1.StageTaskStatus{{Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "example-run-before-canary"}},
		AfterStageTaskStatus: []placementv1beta1.StageTaskStatus{
			{Type: placementv1beta1.StageTaskTypeTimedWait},
			{Type: placementv1beta1.StageTaskTypeApproval, ApprovalRequestName: "example-run-canary"},
		},
	}
	if diff := cmp.Diff(want, stages[0]); diff != "" {
		t.Errorf("stage status (-want,+got):\n%s", diff)
	}
}

func TestMaxConcurrency(t *testing.T) {
	cases := map[string]struct {
		value *intstr.IntOrString
		n     int
		want  int
	}{
		"unset means one at a time":           {n: 10, want: 1},
		"an integer below the stage size":     {value: ptr(intstr.FromInt32(2)), n: 3, want: 2},
		"an integer above the stage size":     {value: ptr(intstr.FromInt32(200)), n: 3, want: 200},
		"50% of 4":                            {value: ptr(intstr.FromString("50%")), n: 4, want: 2},
		"30% of 1 rounds up to the minimum":   {value: ptr(intstr.FromString("30%")), n: 1, want: 1},
		"33% of 10 rounds down":               {value: ptr(intstr.FromString("33%")), n: 10, want: 3},
		"25% of 7 rounds down":                {value: ptr(intstr.FromString("25%")), n: 7, want: 1},
		"100% of 5":                           {value: ptr(intstr.FromString("100%")), n: 5, want: 5},
		"a percentage of an empty stage is 1": {value: ptr(intstr.FromString("50%")), n: 0, want: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := maxConcurrency(&placementv1beta1.StageConfig{Name: "s", MaxConcurrency: tc.value}, tc.n)
			if err != nil || got != tc.want {
				t.Errorf("maxConcurrency() = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSnapshotStrategyShowsApprovalWaitTime(t *testing.T) {
	spec := &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{{
		Name: "canary",
		AfterStageTasks: []placementv1beta1.StageTask{
			{Type: placementv1beta1.StageTaskTypeApproval},
			{Type: placementv1beta1.StageTaskTypeTimedWait, WaitTime: &metav1.Duration{Duration: time.Minute}},
		},
	}}}
	got := snapshotStrategy(spec)
	if w := got.Stages[0].AfterStageTasks[0].WaitTime; w == nil || w.Duration != time.Hour {
		t.Errorf("Approval task waitTime = %v, want 1h0m0s as the tutorial prints", w)
	}
	if w := got.Stages[0].AfterStageTasks[1].WaitTime; w.Duration != time.Minute {
		t.Errorf("TimedWait waitTime = %v, want 1m0s", w)
	}
	if spec.Stages[0].AfterStageTasks[0].WaitTime != nil {
		t.Error("snapshotStrategy changed the strategy it copied")
	}
}
