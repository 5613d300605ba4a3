package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestScheduleBindings(t *testing.T) {
	decided := func(cluster, reason string) func(*placementv1beta1.ClusterResourceBinding) {
		return withDecision(placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: reason})
	}
	tests := map[string]struct {
		in   scheduleInput
		want planView
	}{
		"up-to-date bindings need no change": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1")},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "member1", placementv1beta1.BindingStateBound, "crp-0", withResourceSnapshot("crp-0-snapshot"), decided("member1", pickedReason)),
				}},
			want: planView{
				Decisions: []string{"member1 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 1 member cluster matching the scheduling policy",
			},
		},
		"clusters that are gone, being deleted or left lose their picks; Bound and Scheduled are remembered": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("going", deleting), memberCluster("left", notJoined)},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b-gone", "gone", placementv1beta1.BindingStateBound, "crp-0", withResourceSnapshot("crp-0-snapshot")),
					binding("b-going", "going", placementv1beta1.BindingStateScheduled, "crp-0"),
					binding("b-left", "left", placementv1beta1.BindingStateBound, "crp-0"),
				}},
			want: planView{
				Update: []string{
					"b-going: Scheduled->Unscheduled snapshot=crp-0 previous=Scheduled",
					"b-gone: Bound->Unscheduled snapshot=crp-0 previous=Bound resources=crp-0-snapshot",
					"b-left: Bound->Unscheduled snapshot=crp-0 previous=Bound",
				},
				Fulfilled: true,
				Message:   "Picked 0 member clusters matching the scheduling policy",
			},
		},
		"an Unscheduled binding of a cluster picked again goes back to its previous state instead of a new binding": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("was-bound"), memberCluster("was-scheduled"), memberCluster("unknown")},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "was-bound", placementv1beta1.BindingStateUnscheduled, "crp-0", previously(placementv1beta1.BindingStateBound), withResourceSnapshot("crp-0-snapshot")),
					binding("b2", "was-scheduled", placementv1beta1.BindingStateUnscheduled, "crp-0", previously(placementv1beta1.BindingStateScheduled)),
					binding("b3", "unknown", placementv1beta1.BindingStateUnscheduled, "crp-0"),
				}},
			want: planView{
				Update: []string{
					"b3: Unscheduled->Scheduled snapshot=crp-0 decision=unknown picked: " + pickedReason,
					"b1: Unscheduled->Bound snapshot=crp-0 resources=crp-0-snapshot decision=was-bound picked: " + pickedReason,
					"b2: Unscheduled->Scheduled snapshot=crp-0 decision=was-scheduled picked: " + pickedReason,
				},
				Decisions: []string{"unknown picked: " + pickedReason, "was-bound picked: " + pickedReason, "was-scheduled picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 3 member clusters matching the scheduling policy",
			},
		},
		"Unscheduled bindings of clusters not picked are left alone": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("left", notJoined)},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "left", placementv1beta1.BindingStateUnscheduled, "crp-0", previously(placementv1beta1.BindingStateBound)),
					binding("b2", "gone", placementv1beta1.BindingStateUnscheduled, "crp-0", previously(placementv1beta1.BindingStateScheduled)),
				}},
			want: planView{Fulfilled: true, Message: "Picked 0 member clusters matching the scheduling policy"},
		},
		"bindings being deleted are released and do not count: the cluster gets a new binding": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1")},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "member1", placementv1beta1.BindingStateUnscheduled, "crp-0", bindingDeleting),
					binding("b2", "member1", placementv1beta1.BindingStateBound, "crp-0", bindingDeleting, func(b *placementv1beta1.ClusterResourceBinding) {
						b.Finalizers = []string{placementv1beta1.WorkFinalizer}
					}),
				}},
			want: planView{
				Create:    []string{"member1 picked: " + pickedReason},
				Release:   []string{"b1"},
				Decisions: []string{"member1 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 1 member cluster matching the scheduling policy",
			},
		},
		"duplicates: the binding furthest along is kept, a Scheduled extra is deleted, a Bound extra is reported": {
			in: scheduleInput{snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1"), memberCluster("member2")},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1-scheduled", "member1", placementv1beta1.BindingStateScheduled, "crp-0", decided("member1", pickedReason)),
					binding("b1-bound", "member1", placementv1beta1.BindingStateBound, "crp-0", decided("member1", pickedReason)),
					binding("b2-newer", "member2", placementv1beta1.BindingStateBound, "crp-0", decided("member2", pickedReason), createdAt(testTime.Add(time.Minute))),
					binding("b2-older", "member2", placementv1beta1.BindingStateBound, "crp-0", decided("member2", pickedReason)),
				}},
			want: planView{
				Delete:    []string{"b1-scheduled"},
				Report:    []string{"b2-newer"},
				Decisions: []string{"member1 picked: " + pickedReason, "member2 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 2 member clusters matching the scheduling policy; duplicate bindings need attention: b2-newer",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, viewOf(schedule(tc.in)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("schedule (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestBoundDecisions(t *testing.T) {
	decisions := func(prefix string, selected bool, n int) []placementv1beta1.ClusterDecision {
		var out []placementv1beta1.ClusterDecision
		for i := range n {
			out = append(out, placementv1beta1.ClusterDecision{ClusterName: fmt.Sprintf("%s%04d", prefix, i), Selected: selected})
		}
		return out
	}
	count := func(ds []placementv1beta1.ClusterDecision) (selected, unselected int) {
		for _, d := range ds {
			if d.Selected {
				selected++
			} else {
				unselected++
			}
		}
		return selected, unselected
	}
	tests := map[string]struct {
		selected, unselected         int
		wantSelected, wantUnselected int
	}{
		"nothing":                          {},
		"everything fits":                  {selected: 3, unselected: 5, wantSelected: 3, wantUnselected: 5},
		"picked clusters come first":       {selected: 998, unselected: 5, wantSelected: 998, wantUnselected: 2},
		"at most 1000 picked are reported": {selected: 1200, unselected: 5, wantSelected: 1000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := boundDecisions(decisions("a", true, tc.selected), decisions("b", false, tc.unselected))
			s, u := count(got)
			if s != tc.wantSelected || u != tc.wantUnselected {
				t.Errorf("boundDecisions kept %d picked and %d not picked, want %d and %d", s, u, tc.wantSelected, tc.wantUnselected)
			}
			for i := 1; i < len(got); i++ {
				if got[i-1].ClusterName > got[i].ClusterName {
					t.Fatalf("decisions not sorted by name at %d: %q > %q", i, got[i-1].ClusterName, got[i].ClusterName)
				}
			}
		})
	}
}
