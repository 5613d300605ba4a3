package scheduler

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestClusterChanged(t *testing.T) {
	base := memberCluster("m", withLabels("environment", "canary"))
	tests := map[string]struct {
		mutate func(*clusterv1beta1.MemberCluster)
		want   bool
	}{
		"nothing":             {mutate: func(*clusterv1beta1.MemberCluster) {}},
		"a label":             {mutate: withLabels("environment", "staging"), want: true},
		"a taint":             {mutate: withTaint("gpu", ""), want: true},
		"Joined turns False":  {mutate: notJoined, want: true},
		"Healthy turns False": {mutate: unhealthy, want: true},
		"deletion starts":     {mutate: deleting, want: true},
		"a heartbeat or property report": {mutate: func(mc *clusterv1beta1.MemberCluster) {
			withProperty(clusterv1beta1.NodeCountProperty, "4")(mc)
			mc.Status.AgentStatus = []clusterv1beta1.AgentStatus{{Type: clusterv1beta1.MemberAgent, LastReceivedHeartbeat: testTime}}
		}},
		"a condition's reason only": {mutate: func(mc *clusterv1beta1.MemberCluster) {
			mc.SetConditions(metav1.Condition{Type: string(clusterv1beta1.ConditionTypeMemberClusterHealthy), Status: metav1.ConditionTrue, Reason: "Other"})
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			updated := base.DeepCopy()
			tc.mutate(updated)
			if got := clusterChanged(&base, updated); got != tc.want {
				t.Errorf("clusterChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBindingChanged(t *testing.T) {
	base := binding("b", "member1", placementv1beta1.BindingStateScheduled, "crp-0")
	base.Generation = 1
	tests := map[string]struct {
		mutate func(*placementv1beta1.ClusterResourceBinding)
		want   bool
	}{
		"a status write": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Status.Conditions = []metav1.Condition{{Type: "Applied", Status: metav1.ConditionTrue}}
		}},
		"bound to a snapshot by a rollout": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Generation = 2
			b.Spec.State = placementv1beta1.BindingStateBound
			b.Spec.ResourceSnapshotName = "crp-1-snapshot"
		}},
		"a finalizer added": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Finalizers = append(b.Finalizers, "kubernetes-fleet.io/work-cleanup")
		}},
		"unscheduled": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Generation = 2
			b.Spec.State = placementv1beta1.BindingStateUnscheduled
		}, want: true},
		"another cluster": {mutate: func(b *placementv1beta1.ClusterResourceBinding) { b.Spec.TargetCluster = "member2" }, want: true},
		"another placement": {mutate: func(b *placementv1beta1.ClusterResourceBinding) {
			b.Labels[placementv1beta1.PlacementTrackingLabel] = "other"
		}, want: true},
		"deletion starts": {mutate: bindingDeleting, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			updated := base.DeepCopy()
			tc.mutate(updated)
			if got := bindingChanged(&base, updated); got != tc.want {
				t.Errorf("bindingChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSnapshotAndPlacementChanged(t *testing.T) {
	s := policySnapshot(nil, nil)
	statusOnly := s.DeepCopy()
	statusOnly.Status.ObservedCRPGeneration = 3
	if snapshotChanged(s, statusOnly) {
		t.Error("snapshotChanged on a status-only write = true, want false")
	}
	scaled := s.DeepCopy()
	scaled.Annotations = map[string]string{placementv1beta1.NumberOfClustersAnnotation: "2"}
	if !snapshotChanged(s, scaled) {
		t.Error("snapshotChanged on a number-of-clusters change = false, want true")
	}
	unlatest := s.DeepCopy()
	unlatest.Labels = map[string]string{placementv1beta1.IsLatestSnapshotLabel: "false"}
	if !snapshotChanged(s, unlatest) {
		t.Error("snapshotChanged on an is-latest change = false, want true")
	}

	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: "crp", Generation: 1}}
	edited := crp.DeepCopy()
	edited.Generation = 2
	if placementChanged(crp, edited) {
		t.Error("placementChanged on a spec edit = true, want false (snapshots carry the policy)")
	}
	deleted := crp.DeepCopy()
	deleted.DeletionTimestamp = &testTime
	if !placementChanged(crp, deleted) {
		t.Error("placementChanged on deletion = false, want true")
	}
}
