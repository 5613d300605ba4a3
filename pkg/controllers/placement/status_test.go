package placement

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// summary is what a user reads from a placement's status: condition
// "type=status/reason" lists, the observed index and the selected names.
type summary struct {
	Conditions []string
	Index      string
	Selected   []string
	Clusters   map[string][]string
}

func summarize(s placementv1beta1.PlacementStatus) summary {
	conds := func(cs []metav1.Condition) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Type+"="+string(c.Status)+"/"+c.Reason)
		}
		return out
	}
	out := summary{Conditions: conds(s.Conditions), Index: s.ObservedResourceIndex, Clusters: map[string][]string{}}
	for _, r := range s.SelectedResources {
		out.Selected = append(out.Selected, r.Kind+"/"+r.Name)
	}
	for _, pc := range s.PerClusterPlacementStatuses {
		out.Clusters[pc.ClusterName+"@"+pc.ObservedResourceIndex] = conds(pc.Conditions)
	}
	return out
}

type bindingOpt func(*placementv1beta1.ClusterResourceBinding)

func binding(cluster string, state placementv1beta1.BindingState, snapshot string, opts ...bindingOpt) *placementv1beta1.ClusterResourceBinding {
	b := &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "p-" + cluster, Generation: 2},
		Spec: placementv1beta1.ResourceBindingSpec{
			State: state, TargetCluster: cluster, ResourceSnapshotName: snapshot,
			ClusterDecision: placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by scheduling policy"},
		},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// conditions sets binding conditions, True unless listed in falseOnes, at
// the binding's generation (or at gen-1 when stale).
func conditions(stale bool, falseOne placementv1beta1.ResourceBindingConditionType, types ...placementv1beta1.ResourceBindingConditionType) bindingOpt {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		for _, t := range types {
			c := metav1.Condition{Type: string(t), Status: metav1.ConditionTrue, Reason: string(t) + "Reason", ObservedGeneration: b.Generation}
			if t == falseOne {
				c.Status = metav1.ConditionFalse
			}
			if stale {
				c.ObservedGeneration--
			}
			b.Status.Conditions = append(b.Status.Conditions, c)
		}
	}
}

var allBindingConditions = []placementv1beta1.ResourceBindingConditionType{
	placementv1beta1.ResourceBindingRolloutStarted, placementv1beta1.ResourceBindingOverridden,
	placementv1beta1.ResourceBindingWorkSynchronized, placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable,
}

func scheduledSnapshot(status metav1.ConditionStatus, reason string) *placementv1beta1.ClusterSchedulingPolicySnapshot {
	return &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{Name: "p-0", Generation: 1},
		Status: placementv1beta1.SchedulingPolicySnapshotStatus{Conditions: []metav1.Condition{{
			Type: string(placementv1beta1.PolicySnapshotScheduled), Status: status, Reason: reason, Message: "found 2 cluster(s)", ObservedGeneration: 1,
		}}},
	}
}

func TestComputeStatus(t *testing.T) {
	const fulfilled = "ClusterResourcePlacementScheduled=True/SchedulingPolicyFulfilled"
	resources := map[string][]placementv1beta1.ResourceIdentifier{
		"0": {{Version: "v1", Kind: "Namespace", Name: "test-namespace"}},
		"1": {{Version: "v1", Kind: "Namespace", Name: "test-namespace"}, {Version: "v1", Kind: "ConfigMap", Name: "test-cm", Namespace: "test-namespace"}},
	}
	indexOf := map[string]string{"p-0-snapshot": "0", "p-1-snapshot": "1"}
	scheduledUnknown := []string{"Scheduled=True/Scheduled", "RolloutStarted=Unknown/RolloutStartedUnknown"}
	allTrue := []string{"Scheduled=True/Scheduled", "RolloutStarted=True/RolloutStartedReason", "Overridden=True/OverriddenReason",
		"WorkSynchronized=True/WorkSynchronizedReason", "Applied=True/AppliedReason", "Available=True/AvailableReason"}

	cases := map[string]struct {
		strategy placementv1beta1.RolloutStrategyType
		snapshot *placementv1beta1.ClusterSchedulingPolicySnapshot
		bindings []*placementv1beta1.ClusterResourceBinding
		want     summary
	}{
		"an External placement before any update run: scheduled, rollout left to runs, nothing available": {
			strategy: placementv1beta1.ExternalRolloutStrategyType,
			snapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				binding("member2", placementv1beta1.BindingStateScheduled, ""),
				binding("member1", placementv1beta1.BindingStateScheduled, ""),
			},
			want: summary{
				Conditions: []string{fulfilled, "ClusterResourcePlacementRolloutStarted=Unknown/RolloutControlledByExternalController"},
				Clusters:   map[string][]string{"member1@": scheduledUnknown, "member2@": scheduledUnknown},
			},
		},
		"an External placement whose clusters all run index 1 and are available": {
			strategy: placementv1beta1.ExternalRolloutStrategyType,
			snapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				binding("member1", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(false, "", allBindingConditions...)),
				binding("member2", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(false, "", allBindingConditions...)),
			},
			want: summary{
				Conditions: []string{fulfilled, "ClusterResourcePlacementRolloutStarted=True/RolloutStarted",
					"ClusterResourcePlacementOverridden=True/NoOverrideSpecified", "ClusterResourcePlacementWorkSynchronized=True/WorkSynchronized",
					"ClusterResourcePlacementApplied=True/ApplySucceeded", "ClusterResourcePlacementAvailable=True/ResourceAvailable"},
				Index: "1", Selected: []string{"Namespace/test-namespace", "ConfigMap/test-cm"},
				Clusters: map[string][]string{"member1@1": allTrue, "member2@1": allTrue},
			},
		},
		"an External placement halfway through a run: clusters on different indices": {
			strategy: placementv1beta1.ExternalRolloutStrategyType,
			snapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				binding("member1", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(false, "", allBindingConditions...)),
				binding("member2", placementv1beta1.BindingStateBound, "p-0-snapshot", conditions(false, "", allBindingConditions...)),
			},
			want: summary{
				Conditions: []string{fulfilled, "ClusterResourcePlacementRolloutStarted=Unknown/RolloutControlledByExternalController"},
				Clusters:   map[string][]string{"member1@1": allTrue, "member2@0": allTrue},
			},
		},
		"a RollingUpdate placement with a cluster failing to apply": {
			snapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				binding("member1", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(false, "", allBindingConditions...)),
				binding("member2", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(false, placementv1beta1.ResourceBindingApplied, allBindingConditions...)),
				binding("member3", placementv1beta1.BindingStateUnscheduled, "p-0-snapshot"),
			},
			want: summary{
				Conditions: []string{fulfilled, "ClusterResourcePlacementRolloutStarted=True/RolloutStarted",
					"ClusterResourcePlacementOverridden=True/NoOverrideSpecified", "ClusterResourcePlacementWorkSynchronized=True/WorkSynchronized",
					"ClusterResourcePlacementApplied=False/ApplyFailed"},
				Index: "1", Selected: []string{"Namespace/test-namespace", "ConfigMap/test-cm"},
				Clusters: map[string][]string{"member1@1": allTrue, "member2@1": {"Scheduled=True/Scheduled", "RolloutStarted=True/RolloutStartedReason",
					"Overridden=True/OverriddenReason", "WorkSynchronized=True/WorkSynchronizedReason", "Applied=False/AppliedReason"}},
			},
		},
		"a RollingUpdate placement whose binding conditions predate its last change": {
			snapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"),
			bindings: []*placementv1beta1.ClusterResourceBinding{
				binding("member1", placementv1beta1.BindingStateBound, "p-1-snapshot", conditions(true, "", allBindingConditions...)),
			},
			want: summary{
				Conditions: []string{fulfilled, "ClusterResourcePlacementRolloutStarted=Unknown/RolloutStartedUnknown"},
				Index:      "1", Selected: []string{"Namespace/test-namespace", "ConfigMap/test-cm"},
				Clusters: map[string][]string{"member1@1": scheduledUnknown},
			},
		},
		"a placement the scheduler has not looked at yet": {
			strategy: placementv1beta1.ExternalRolloutStrategyType,
			snapshot: &placementv1beta1.ClusterSchedulingPolicySnapshot{ObjectMeta: metav1.ObjectMeta{Name: "p-0", Generation: 1}},
			want: summary{
				Conditions: []string{"ClusterResourcePlacementScheduled=Unknown/SchedulePending", "ClusterResourcePlacementRolloutStarted=Unknown/RolloutControlledByExternalController"},
				Clusters:   map[string][]string{},
			},
		},
		"an unfulfilled policy": {
			strategy: placementv1beta1.ExternalRolloutStrategyType,
			snapshot: scheduledSnapshot(metav1.ConditionFalse, "SchedulingPolicyUnfulfilled"),
			want: summary{
				Conditions: []string{"ClusterResourcePlacementScheduled=False/SchedulingPolicyUnfulfilled", "ClusterResourcePlacementRolloutStarted=Unknown/RolloutControlledByExternalController"},
				Clusters:   map[string][]string{},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crp := &placementv1beta1.ClusterResourcePlacement{
				ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 1},
				Spec:       placementv1beta1.PlacementSpec{Strategy: placementv1beta1.RolloutStrategy{Type: tc.strategy}},
			}
			got := computeStatus(crp, statusInputs{policySnapshot: tc.snapshot, latestIndex: 1, indexOf: indexOf, resourcesOf: resources, bindings: tc.bindings})
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("computeStatus() (-want,+got):\n%s", diff)
			}
			for _, c := range got.Conditions {
				if c.ObservedGeneration != 1 || c.Message == "" {
					t.Errorf("condition %s: observedGeneration %d, message %q; want 1 and a message", c.Type, c.ObservedGeneration, c.Message)
				}
			}
		})
	}
}

func TestComputeStatusKeepsTransitionTimes(t *testing.T) {
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 1}}
	in := statusInputs{policySnapshot: scheduledSnapshot(metav1.ConditionTrue, "SchedulingPolicyFulfilled"), latestIndex: -1}
	first := computeStatus(crp, in)
	past := metav1.NewTime(first.Conditions[0].LastTransitionTime.Add(-3600e9))
	first.Conditions[0].LastTransitionTime = past
	crp.Status = first
	again := computeStatus(crp, in)
	if got := again.Conditions[0].LastTransitionTime; !got.Equal(&past) {
		t.Errorf("LastTransitionTime = %v, want it kept at %v", got, past)
	}
}

// The bindings computeStatus reads are the cache's own objects: what the
// status keeps of them must be copies, or decoding the status write's
// response into the placement would overwrite the cache.
func TestPerClusterStatusCopiesTheBindingsReports(t *testing.T) {
	b := binding("a", placementv1beta1.BindingStateBound, "p-1-snapshot")
	id := placementv1beta1.ResourceIdentifier{Version: "v1", Kind: "ConfigMap", Name: "cfg", Namespace: "app"}
	b.Status.FailedPlacements = []placementv1beta1.FailedResourcePlacement{{ResourceIdentifier: id, Condition: metav1.Condition{Type: "Applied", Reason: "Failed"}}}
	b.Status.DriftedPlacements = []placementv1beta1.DriftedResourcePlacement{{ResourceIdentifier: id, ObservedDrifts: []placementv1beta1.PatchDetail{{Path: "/data/a"}}}}
	b.Status.DiffedPlacements = []placementv1beta1.DiffedResourcePlacement{{ResourceIdentifier: id, ObservedDiffs: []placementv1beta1.PatchDetail{{Path: "/data/b"}}}}
	want := b.DeepCopy()

	pc := perClusterStatus(b, "1", perClusterConditionOrder, 1, nil)
	if len(pc.FailedPlacements) != 1 || len(pc.DriftedPlacements) != 1 || len(pc.DiffedPlacements) != 1 {
		t.Fatalf("perClusterStatus() reports = %+v, %+v, %+v; want one of each", pc.FailedPlacements, pc.DriftedPlacements, pc.DiffedPlacements)
	}
	pc.FailedPlacements[0].Name = "changed"
	pc.DriftedPlacements[0].ObservedDrifts[0].Path = "/changed"
	pc.DiffedPlacements[0].ObservedDiffs[0].Path = "/changed"
	if !equality.Semantic.DeepEqual(b, want) {
		t.Errorf("changing the per-cluster status changed the binding: %+v", b.Status)
	}
}

func TestRemoveConditions(t *testing.T) {
	conds := func(types ...string) []metav1.Condition {
		var out []metav1.Condition
		for _, ct := range types {
			out = append(out, metav1.Condition{Type: ct, Status: metav1.ConditionTrue})
		}
		return out
	}
	typesOf := func(cs []metav1.Condition) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Type)
		}
		return out
	}
	tests := map[string]struct {
		in     []metav1.Condition
		remove []placementv1beta1.ResourceBindingConditionType
		want   []string
	}{
		"per-cluster and placement-level types go, the rest stays in order": {
			in:     conds("ClusterResourcePlacementScheduled", "Applied", "ClusterResourcePlacementAvailable", "RolloutStarted"),
			remove: []placementv1beta1.ResourceBindingConditionType{placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable},
			want:   []string{"ClusterResourcePlacementScheduled", "RolloutStarted"},
		},
		"nothing to remove": {
			in:     conds("RolloutStarted"),
			remove: []placementv1beta1.ResourceBindingConditionType{placementv1beta1.ResourceBindingApplied},
			want:   []string{"RolloutStarted"},
		},
		"an empty list": {remove: []placementv1beta1.ResourceBindingConditionType{placementv1beta1.ResourceBindingApplied}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.in
			removeConditions(&got, tc.remove)
			if diff := cmp.Diff(tc.want, typesOf(got)); diff != "" {
				t.Errorf("removeConditions (-want,+got):\n%s", diff)
			}
		})
	}
}
