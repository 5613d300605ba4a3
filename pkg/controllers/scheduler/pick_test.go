package scheduler

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// planView is a readable summary of a schedulePlan.
type planView struct {
	Create    []string
	Update    []string
	Release   []string
	Delete    []string
	Report    []string
	Decisions []string
	Fulfilled bool
	Message   string
}

func describeDecision(d placementv1beta1.ClusterDecision) string {
	s := d.ClusterName
	if d.Selected {
		s += " picked"
	} else {
		s += " not picked"
	}
	if d.ClusterScore != nil && d.ClusterScore.AffinityScore != nil {
		s += fmt.Sprintf(" score=%d", *d.ClusterScore.AffinityScore)
	}
	return s + ": " + d.Reason
}

func viewOf(p schedulePlan) planView {
	v := planView{Fulfilled: p.fulfilled, Message: p.message}
	for _, d := range p.create {
		v.Create = append(v.Create, describeDecision(d))
	}
	for _, u := range p.update {
		c, d := u.current, u.desired
		s := fmt.Sprintf("%s: %s->%s snapshot=%s", c.Name, c.Spec.State, d.Spec.State, d.Spec.SchedulingPolicySnapshotName)
		if prev, ok := d.Annotations[placementv1beta1.PreviousBindingStateAnnotation]; ok {
			s += " previous=" + prev
		}
		if d.Spec.ResourceSnapshotName != "" {
			s += " resources=" + d.Spec.ResourceSnapshotName
		}
		if d.Spec.State != placementv1beta1.BindingStateUnscheduled {
			s += " decision=" + describeDecision(d.Spec.ClusterDecision)
		}
		v.Update = append(v.Update, s)
	}
	v.Release = bindingNames(p.release)
	v.Delete = bindingNames(p.deleteDuplicates)
	v.Report = bindingNames(p.keepDuplicates)
	for _, d := range p.decisions {
		v.Decisions = append(v.Decisions, describeDecision(d))
	}
	return v
}

// kept starts the reason of a cluster kept from an earlier pick.
const kept = pickedReason + " earlier, kept though not eligible for new picks: "

func TestSchedulePickAll(t *testing.T) {
	canary := &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType, Affinity: requiredTerms(labelTerm("environment", "canary"))}
	decided := func(cluster, reason string) func(*placementv1beta1.ClusterResourceBinding) {
		return withDecision(placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: reason})
	}
	tests := map[string]struct {
		in   scheduleInput
		want planView
	}{
		"the seed: three joined clusters, no policy means PickAll, one new binding each": {
			in: scheduleInput{snapshotName: "crp-0", clusters: []clusterv1beta1.MemberCluster{
				memberCluster("member1", withLabels("environment", "canary", "order", "2")),
				memberCluster("member2", withLabels("environment", "staging")),
				memberCluster("member3", withLabels("environment", "canary", "order", "1")),
			}},
			want: planView{
				Create:    []string{"member1 picked: " + pickedReason, "member2 picked: " + pickedReason, "member3 picked: " + pickedReason},
				Decisions: []string{"member1 picked: " + pickedReason, "member2 picked: " + pickedReason, "member3 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 3 member clusters matching the scheduling policy",
			},
		},
		"clusters not joined, unhealthy, being deleted or with an untolerated taint are not picked": {
			in: scheduleInput{policy: &placementv1beta1.PlacementPolicy{Tolerations: []placementv1beta1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}},
				snapshotName: "crp-0", clusters: []clusterv1beta1.MemberCluster{
					memberCluster("ready"),
					memberCluster("left", notJoined),
					memberCluster("sick", unhealthy),
					memberCluster("going", deleting),
					memberCluster("gpu", withTaint("gpu", "a100")),
					memberCluster("maintenance", withTaint("maintenance", "")),
				}},
			want: planView{
				Create:    []string{"gpu picked: " + pickedReason, "ready picked: " + pickedReason},
				Decisions: []string{"gpu picked: " + pickedReason, "ready picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 2 member clusters matching the scheduling policy",
			},
		},
		"required affinity filters new picks": {
			in: scheduleInput{policy: canary, snapshotName: "crp-0", clusters: []clusterv1beta1.MemberCluster{
				memberCluster("member1", withLabels("environment", "canary")),
				memberCluster("member2", withLabels("environment", "staging")),
			}},
			want: planView{
				Create:    []string{"member1 picked: " + pickedReason},
				Decisions: []string{"member1 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 1 member cluster matching the scheduling policy",
			},
		},
		"a required property selector never silently matches a cluster that does not report the property": {
			in: scheduleInput{policy: &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(placementv1beta1.ClusterSelectorTerm{
				PropertySelector: &placementv1beta1.PropertySelector{MatchExpressions: []placementv1beta1.PropertySelectorRequirement{{
					Name: clusterv1beta1.NodeCountProperty, Operator: placementv1beta1.PropertySelectorGreaterThanOrEqualTo, Values: []string{"3"},
				}}},
			})}, snapshotName: "crp-0", clusters: []clusterv1beta1.MemberCluster{
				memberCluster("big", withProperty(clusterv1beta1.NodeCountProperty, "5")),
				memberCluster("small", withProperty(clusterv1beta1.NodeCountProperty, "2")),
				memberCluster("silent"),
			}},
			want: planView{
				Create:    []string{"big picked: " + pickedReason},
				Decisions: []string{"big picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked 1 member cluster matching the scheduling policy",
			},
		},
		"under the same snapshot, picked clusters stay picked when they turn unhealthy, tainted or stop matching": {
			in: scheduleInput{policy: canary, snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{
					memberCluster("sick", withLabels("environment", "canary"), unhealthy),
					memberCluster("tainted", withLabels("environment", "canary"), withTaint("maintenance", "")),
					memberCluster("relabelled", withLabels("environment", "staging")),
				},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "sick", placementv1beta1.BindingStateBound, "crp-0", decided("sick", pickedReason)),
					binding("b2", "tainted", placementv1beta1.BindingStateScheduled, "crp-0", decided("tainted", pickedReason)),
					binding("b3", "relabelled", placementv1beta1.BindingStateScheduled, "crp-0", decided("relabelled", pickedReason)),
				}},
			want: planView{
				Update: []string{
					"b3: Scheduled->Scheduled snapshot=crp-0 decision=relabelled picked: " + kept + "cluster does not match the required cluster affinity (labels do not match \"environment=canary\")",
					"b1: Bound->Bound snapshot=crp-0 decision=sick picked: " + kept + "cluster is not healthy (Healthy is False)",
					"b2: Scheduled->Scheduled snapshot=crp-0 decision=tainted picked: " + kept + "cluster has the taint maintenance:NoSchedule, which the policy does not tolerate",
				},
				Decisions: []string{
					"relabelled picked: " + kept + "cluster does not match the required cluster affinity (labels do not match \"environment=canary\")",
					"sick picked: " + kept + "cluster is not healthy (Healthy is False)",
					"tainted picked: " + kept + "cluster has the taint maintenance:NoSchedule, which the policy does not tolerate",
				},
				Fulfilled: true,
				Message:   "Picked 3 member clusters matching the scheduling policy",
			},
		},
		"a new snapshot re-checks the policy's filters: non-matching picks go, matching ones move to the new snapshot": {
			in: scheduleInput{policy: canary, snapshotName: "crp-1",
				clusters: []clusterv1beta1.MemberCluster{
					memberCluster("member1", withLabels("environment", "canary"), unhealthy),
					memberCluster("member2", withLabels("environment", "staging")),
				},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "member1", placementv1beta1.BindingStateBound, "crp-0", withResourceSnapshot("crp-0-snapshot")),
					binding("b2", "member2", placementv1beta1.BindingStateBound, "crp-0", withResourceSnapshot("crp-0-snapshot")),
				}},
			want: planView{
				Update: []string{
					"b2: Bound->Unscheduled snapshot=crp-0 previous=Bound resources=crp-0-snapshot",
					"b1: Bound->Bound snapshot=crp-1 resources=crp-0-snapshot decision=member1 picked: " + kept + "cluster is not healthy (Healthy is False)",
				},
				Decisions: []string{"member1 picked: " + kept + "cluster is not healthy (Healthy is False)"},
				Fulfilled: true,
				Message:   "Picked 1 member cluster matching the scheduling policy",
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

func TestSchedulePickN(t *testing.T) {
	pickN := func(terms ...placementv1beta1.PreferredClusterSelector) *placementv1beta1.PlacementPolicy {
		return &placementv1beta1.PlacementPolicy{
			PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To[int32](2),
			Affinity: &placementv1beta1.Affinity{ClusterAffinity: &placementv1beta1.ClusterAffinity{PreferredDuringSchedulingIgnoredDuringExecution: terms}},
		}
	}
	scored := pickN(preferred(20, labelTerm("environment", "canary")), preferred(10, labelTerm("order", "1")))
	clusters := []clusterv1beta1.MemberCluster{
		memberCluster("member1", withLabels("environment", "canary", "order", "2")),
		memberCluster("member2", withLabels("environment", "staging")),
		memberCluster("member3", withLabels("environment", "canary", "order", "1")),
		memberCluster("member4", withLabels("environment", "canary", "order", "2")),
	}
	tests := map[string]struct {
		in   scheduleInput
		want planView
	}{
		"picks the N best scores, ties broken by name": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 2, clusters: clusters},
			want: planView{
				Create: []string{"member1 picked score=20: " + pickedReason, "member3 picked score=30: " + pickedReason},
				Decisions: []string{
					"member1 picked score=20: " + pickedReason,
					"member2 not picked score=0: not picked: eligible with affinity score 0, but the policy's 2 clusters are taken by earlier picks or higher scores",
					"member3 picked score=30: " + pickedReason,
					"member4 not picked score=20: not picked: eligible with affinity score 20, but the policy's 2 clusters are taken by earlier picks or higher scores",
				},
				Fulfilled: true,
				Message:   "Picked 2 member clusters, as many as the policy asks for",
			},
		},
		"existing picks are kept even when better clusters appear": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 2, clusters: clusters,
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b2", "member2", placementv1beta1.BindingStateBound, "crp-0"),
				}},
			want: planView{
				Create: []string{"member3 picked score=30: " + pickedReason},
				Update: []string{"b2: Bound->Bound snapshot=crp-0 decision=member2 picked score=0: " + pickedReason},
				Decisions: []string{
					"member1 not picked score=20: not picked: eligible with affinity score 20, but the policy's 2 clusters are taken by earlier picks or higher scores",
					"member2 picked score=0: " + pickedReason,
					"member3 picked score=30: " + pickedReason,
					"member4 not picked score=20: not picked: eligible with affinity score 20, but the policy's 2 clusters are taken by earlier picks or higher scores",
				},
				Fulfilled: true,
				Message:   "Picked 2 member clusters, as many as the policy asks for",
			},
		},
		"scaling down drops Scheduled picks before Bound ones, the lowest score first": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 2, clusters: clusters,
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "member1", placementv1beta1.BindingStateScheduled, "crp-0"),
					binding("b2", "member2", placementv1beta1.BindingStateBound, "crp-0"),
					binding("b3", "member3", placementv1beta1.BindingStateScheduled, "crp-0"),
					binding("b4", "member4", placementv1beta1.BindingStateScheduled, "crp-0"),
				}},
			want: planView{
				Update: []string{
					"b1: Scheduled->Unscheduled snapshot=crp-0 previous=Scheduled",
					"b4: Scheduled->Unscheduled snapshot=crp-0 previous=Scheduled",
					"b2: Bound->Bound snapshot=crp-0 decision=member2 picked score=0: " + pickedReason,
					"b3: Scheduled->Scheduled snapshot=crp-0 decision=member3 picked score=30: " + pickedReason,
				},
				Decisions: []string{
					"member1 not picked score=20: unscheduled: the policy asks for 2 clusters and this Scheduled pick has a lower priority (affinity score 20)",
					"member2 picked score=0: " + pickedReason,
					"member3 picked score=30: " + pickedReason,
					"member4 not picked score=20: unscheduled: the policy asks for 2 clusters and this Scheduled pick has a lower priority (affinity score 20)",
				},
				Fulfilled: true,
				Message:   "Picked 2 member clusters, as many as the policy asks for",
			},
		},
		"scaling to zero unschedules everything": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 0, clusters: clusters[:1],
				bindings: []placementv1beta1.ClusterResourceBinding{binding("b1", "member1", placementv1beta1.BindingStateBound, "crp-0")}},
			want: planView{
				Update:    []string{"b1: Bound->Unscheduled snapshot=crp-0 previous=Bound"},
				Decisions: []string{"member1 not picked score=20: unscheduled: the policy asks for 0 clusters and this Bound pick has a lower priority (affinity score 20)"},
				Fulfilled: true,
				Message:   "Picked 0 member clusters, as many as the policy asks for",
			},
		},
		"too few eligible clusters: unfulfilled, saying why the others cannot be picked": {
			in: scheduleInput{policy: pickN(), snapshotName: "crp-0", numberOfClusters: 4, clusters: []clusterv1beta1.MemberCluster{
				memberCluster("ready"),
				memberCluster("left", notJoined),
				memberCluster("sick", unhealthy),
				memberCluster("tainted", withTaint("gpu", "")),
			}},
			want: planView{
				Create: []string{"ready picked score=0: " + pickedReason},
				Decisions: []string{
					"left not picked: not picked: cluster has not joined the fleet (Joined is False)",
					"ready picked score=0: " + pickedReason,
					"sick not picked: not picked: cluster is not healthy (Healthy is False)",
					"tainted not picked: not picked: cluster has the taint gpu:NoSchedule, which the policy does not tolerate",
				},
				Message: "Picked 1 of the 4 member clusters the policy asks for; 3 other clusters cannot be picked (not healthy: sick; not joined: left; untolerated taint: tainted)",
			},
		},
		"too few clusters at all": {
			in: scheduleInput{policy: pickN(), snapshotName: "crp-0", numberOfClusters: 2, clusters: []clusterv1beta1.MemberCluster{memberCluster("only")}},
			want: planView{
				Create:    []string{"only picked score=0: " + pickedReason},
				Decisions: []string{"only picked score=0: " + pickedReason},
				Message:   "Picked 1 of the 2 member clusters the policy asks for: no other member cluster exists",
			},
		},
		"a picked cluster that is gone loses its pick and is not counted among the others": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 2, clusters: []clusterv1beta1.MemberCluster{
				memberCluster("member2", withLabels("environment", "staging")),
			}, bindings: []placementv1beta1.ClusterResourceBinding{binding("b-gone", "gone", placementv1beta1.BindingStateBound, "crp-0")}},
			want: planView{
				Create:    []string{"member2 picked score=0: " + pickedReason},
				Update:    []string{"b-gone: Bound->Unscheduled snapshot=crp-0 previous=Bound"},
				Decisions: []string{"member2 picked score=0: " + pickedReason},
				Message:   "Picked 1 of the 2 member clusters the policy asks for: no other member cluster exists",
			},
		},
		"a picked cluster that left is replaced by the best eligible one": {
			in: scheduleInput{policy: scored, snapshotName: "crp-0", numberOfClusters: 1, clusters: []clusterv1beta1.MemberCluster{
				memberCluster("member1", withLabels("environment", "canary"), notJoined),
				memberCluster("member2", withLabels("environment", "staging")),
			}, bindings: []placementv1beta1.ClusterResourceBinding{binding("b1", "member1", placementv1beta1.BindingStateBound, "crp-0")}},
			want: planView{
				Create: []string{"member2 picked score=0: " + pickedReason},
				Update: []string{"b1: Bound->Unscheduled snapshot=crp-0 previous=Bound"},
				Decisions: []string{
					"member1 not picked: not picked: cluster has not joined the fleet (Joined is False)",
					"member2 picked score=0: " + pickedReason,
				},
				Fulfilled: true,
				Message:   "Picked 1 member cluster, as many as the policy asks for",
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

func TestSchedulePickFixed(t *testing.T) {
	fixed := func(names ...string) *placementv1beta1.PlacementPolicy {
		return &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickFixedPlacementType, ClusterNames: names}
	}
	tests := map[string]struct {
		in   scheduleInput
		want planView
	}{
		"all named clusters ready: fulfilled": {
			in: scheduleInput{policy: fixed("member2", "member1", "member1"), snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1"), memberCluster("member2"), memberCluster("member3")}},
			want: planView{
				Create:    []string{"member1 picked: " + pickedReason, "member2 picked: " + pickedReason},
				Decisions: []string{"member1 picked: " + pickedReason, "member2 picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked the 2 member clusters named by the policy",
			},
		},
		"a missing and an unhealthy cluster are reported by name": {
			in: scheduleInput{policy: fixed("member1", "missing", "sick"), snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1"), memberCluster("sick", unhealthy)}},
			want: planView{
				Create: []string{"member1 picked: " + pickedReason},
				Decisions: []string{
					"member1 picked: " + pickedReason,
					"missing not picked: not picked: cluster not found",
					"sick not picked: not picked: cluster is not healthy (Healthy is False)",
				},
				Message: "Picked 1 of the 3 member clusters named by the policy; not picked: missing (cluster not found), sick (cluster is not healthy (Healthy is False))",
			},
		},
		"taints do not apply to named clusters": {
			in: scheduleInput{policy: fixed("tainted"), snapshotName: "crp-0",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("tainted", withTaint("gpu", ""))}},
			want: planView{
				Create:    []string{"tainted picked: " + pickedReason},
				Decisions: []string{"tainted picked: " + pickedReason},
				Fulfilled: true,
				Message:   "Picked the 1 member cluster named by the policy",
			},
		},
		"a new list: clusters no longer named are unscheduled, a kept one stays picked though unhealthy": {
			in: scheduleInput{policy: fixed("member1"), snapshotName: "crp-1",
				clusters: []clusterv1beta1.MemberCluster{memberCluster("member1", unhealthy), memberCluster("member2")},
				bindings: []placementv1beta1.ClusterResourceBinding{
					binding("b1", "member1", placementv1beta1.BindingStateBound, "crp-0"),
					binding("b2", "member2", placementv1beta1.BindingStateBound, "crp-0"),
				}},
			want: planView{
				Update: []string{
					"b2: Bound->Unscheduled snapshot=crp-0 previous=Bound",
					"b1: Bound->Bound snapshot=crp-1 decision=member1 picked: " + kept + "cluster is not healthy (Healthy is False)",
				},
				Decisions: []string{"member1 picked: " + kept + "cluster is not healthy (Healthy is False)"},
				Fulfilled: true,
				Message:   "Picked the 1 member cluster named by the policy",
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

func TestScheduleIsDeterministic(t *testing.T) {
	in := scheduleInput{
		policy:       &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickNPlacementType, NumberOfClusters: ptr.To[int32](3)},
		snapshotName: "crp-0", numberOfClusters: 3,
	}
	for i := range 12 {
		in.clusters = append(in.clusters, memberCluster(fmt.Sprintf("member%02d", (i*7)%12)))
	}
	first := viewOf(schedule(in))
	for range 20 {
		if diff := cmp.Diff(first, viewOf(schedule(in))); diff != "" {
			t.Fatalf("schedule is not deterministic (-first,+again):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]string{
		"member00 picked score=0: " + pickedReason,
		"member01 picked score=0: " + pickedReason,
		"member02 picked score=0: " + pickedReason,
	}, first.Create); diff != "" {
		t.Errorf("equal scores are broken by name (-want,+got):\n%s", diff)
	}
}
