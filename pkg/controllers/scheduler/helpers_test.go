package scheduler

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var testTime = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

// memberCluster returns a joined, healthy MemberCluster, changed by opts.
func memberCluster(name string, opts ...func(*clusterv1beta1.MemberCluster)) clusterv1beta1.MemberCluster {
	mc := clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	mc.SetConditions(
		metav1.Condition{Type: string(clusterv1beta1.ConditionTypeMemberClusterJoined), Status: metav1.ConditionTrue, Reason: clusterv1beta1.MemberClusterJoinedReason},
		metav1.Condition{Type: string(clusterv1beta1.ConditionTypeMemberClusterHealthy), Status: metav1.ConditionTrue, Reason: clusterv1beta1.MemberClusterHealthyReason},
	)
	for _, o := range opts {
		o(&mc)
	}
	return mc
}

func withLabels(kv ...string) func(*clusterv1beta1.MemberCluster) {
	return func(mc *clusterv1beta1.MemberCluster) {
		if mc.Labels == nil {
			mc.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			mc.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withCondition(t clusterv1beta1.MemberClusterConditionType, s metav1.ConditionStatus) func(*clusterv1beta1.MemberCluster) {
	return func(mc *clusterv1beta1.MemberCluster) {
		mc.SetConditions(metav1.Condition{Type: string(t), Status: s, Reason: "Test"})
	}
}

func notJoined(mc *clusterv1beta1.MemberCluster) {
	withCondition(clusterv1beta1.ConditionTypeMemberClusterJoined, metav1.ConditionFalse)(mc)
}

func unhealthy(mc *clusterv1beta1.MemberCluster) {
	withCondition(clusterv1beta1.ConditionTypeMemberClusterHealthy, metav1.ConditionFalse)(mc)
}

func deleting(mc *clusterv1beta1.MemberCluster) {
	mc.DeletionTimestamp = &testTime
}

func withTaint(key, value string) func(*clusterv1beta1.MemberCluster) {
	return func(mc *clusterv1beta1.MemberCluster) {
		mc.Spec.Taints = append(mc.Spec.Taints, clusterv1beta1.Taint{Key: key, Value: value, Effect: corev1.TaintEffectNoSchedule})
	}
}

func withProperty(name, value string) func(*clusterv1beta1.MemberCluster) {
	return func(mc *clusterv1beta1.MemberCluster) {
		if mc.Status.Properties == nil {
			mc.Status.Properties = map[clusterv1beta1.PropertyName]clusterv1beta1.PropertyValue{}
		}
		mc.Status.Properties[clusterv1beta1.PropertyName(name)] = clusterv1beta1.PropertyValue{Value: value, ObservationTime: testTime}
	}
}

// binding returns a binding of placement "crp" on cluster, changed by opts.
func binding(name, cluster string, state placementv1beta1.BindingState, snapshot string, opts ...func(*placementv1beta1.ClusterResourceBinding)) placementv1beta1.ClusterResourceBinding {
	b := placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Labels:            map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"},
			Finalizers:        []string{placementv1beta1.SchedulerBindingCleanupFinalizer},
			CreationTimestamp: testTime,
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        state,
			SchedulingPolicySnapshotName: snapshot,
			TargetCluster:                cluster,
		},
	}
	for _, o := range opts {
		o(&b)
	}
	return b
}

func previously(state placementv1beta1.BindingState) func(*placementv1beta1.ClusterResourceBinding) {
	return func(b *placementv1beta1.ClusterResourceBinding) {
		b.Annotations = map[string]string{placementv1beta1.PreviousBindingStateAnnotation: string(state)}
	}
}

func withResourceSnapshot(name string) func(*placementv1beta1.ClusterResourceBinding) {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.Spec.ResourceSnapshotName = name }
}

func withDecision(d placementv1beta1.ClusterDecision) func(*placementv1beta1.ClusterResourceBinding) {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.Spec.ClusterDecision = d }
}

func bindingDeleting(b *placementv1beta1.ClusterResourceBinding) {
	b.DeletionTimestamp = &testTime
}

func createdAt(t time.Time) func(*placementv1beta1.ClusterResourceBinding) {
	return func(b *placementv1beta1.ClusterResourceBinding) { b.CreationTimestamp = metav1.NewTime(t) }
}

func labelTerm(kv ...string) placementv1beta1.ClusterSelectorTerm {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return placementv1beta1.ClusterSelectorTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: m}}
}

func requiredTerms(terms ...placementv1beta1.ClusterSelectorTerm) *placementv1beta1.Affinity {
	return &placementv1beta1.Affinity{ClusterAffinity: &placementv1beta1.ClusterAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &placementv1beta1.ClusterSelector{ClusterSelectorTerms: terms},
	}}
}

func preferred(weight int32, term placementv1beta1.ClusterSelectorTerm) placementv1beta1.PreferredClusterSelector {
	return placementv1beta1.PreferredClusterSelector{Weight: weight, Preference: term}
}
