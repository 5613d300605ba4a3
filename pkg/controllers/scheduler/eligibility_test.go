package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestTolerates(t *testing.T) {
	taint := clusterv1beta1.Taint{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}
	tests := map[string]struct {
		toleration placementv1beta1.Toleration
		want       bool
	}{
		"Exists with an empty key tolerates every taint": {toleration: placementv1beta1.Toleration{Operator: corev1.TolerationOpExists}, want: true},
		"Exists with the taint's key":                    {toleration: placementv1beta1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}, want: true},
		"Exists with another key":                        {toleration: placementv1beta1.Toleration{Key: "zone", Operator: corev1.TolerationOpExists}},
		"Equal with key and value":                       {toleration: placementv1beta1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "true"}, want: true},
		"Equal with another value":                       {toleration: placementv1beta1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "false"}},
		"empty operator means Equal":                     {toleration: placementv1beta1.Toleration{Key: "gpu", Value: "true"}, want: true},
		"empty operator and empty key tolerates nothing": {toleration: placementv1beta1.Toleration{}},
		"the taint's effect":                             {toleration: placementv1beta1.Toleration{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}, want: true},
		"another effect":                                 {toleration: placementv1beta1.Toleration{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoExecute}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tolerates(tc.toleration, taint); got != tc.want {
				t.Errorf("tolerates(%+v, %+v) = %v, want %v", tc.toleration, taint, got, tc.want)
			}
		})
	}
}

func TestFilterProblem(t *testing.T) {
	gpu := placementv1beta1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}
	tests := map[string]struct {
		policy  *placementv1beta1.PlacementPolicy
		cluster clusterv1beta1.MemberCluster
		want    string
	}{
		"no policy, no taints": {cluster: memberCluster("m")},
		"untainted cluster, any policy": {
			policy: &placementv1beta1.PlacementPolicy{Tolerations: []placementv1beta1.Toleration{gpu}}, cluster: memberCluster("m"),
		},
		"a taint without a toleration": {
			cluster: memberCluster("m", withTaint("gpu", "true")),
			want:    "cluster has the taint gpu=true:NoSchedule, which the policy does not tolerate",
		},
		"a tolerated taint": {
			policy: &placementv1beta1.PlacementPolicy{Tolerations: []placementv1beta1.Toleration{gpu}}, cluster: memberCluster("m", withTaint("gpu", "true")),
		},
		"one of two taints untolerated": {
			policy:  &placementv1beta1.PlacementPolicy{Tolerations: []placementv1beta1.Toleration{gpu}},
			cluster: memberCluster("m", withTaint("gpu", "true"), withTaint("maintenance", "")),
			want:    "cluster has the taint maintenance:NoSchedule, which the policy does not tolerate",
		},
		"required labels match": {
			policy:  &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(labelTerm("environment", "canary"))},
			cluster: memberCluster("m", withLabels("environment", "canary")),
		},
		"required labels do not match": {
			policy:  &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(labelTerm("environment", "canary"))},
			cluster: memberCluster("m", withLabels("environment", "staging")),
			want:    `cluster does not match the required cluster affinity (labels do not match "environment=canary")`,
		},
		"terms are ORed": {
			policy:  &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(labelTerm("environment", "canary"), labelTerm("environment", "staging"))},
			cluster: memberCluster("m", withLabels("environment", "staging")),
		},
		"a term's labels are ANDed": {
			policy:  &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(labelTerm("environment", "canary", "order", "1"), labelTerm("region", "west"))},
			cluster: memberCluster("m", withLabels("environment", "canary", "order", "2")),
			want:    `cluster does not match the required cluster affinity (term 0: labels do not match "environment=canary,order=1"; term 1: labels do not match "region=west")`,
		},
		"a term's matchExpressions and matchLabels are ANDed": {
			policy: &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(placementv1beta1.ClusterSelectorTerm{LabelSelector: &metav1.LabelSelector{
				MatchLabels:      map[string]string{"environment": "canary"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "order", Operator: metav1.LabelSelectorOpExists}},
			}})},
			cluster: memberCluster("m", withLabels("environment", "canary")),
			want:    `cluster does not match the required cluster affinity (labels do not match "environment=canary,order")`,
		},
		"an empty term matches every cluster": {
			policy: &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(placementv1beta1.ClusterSelectorTerm{})}, cluster: memberCluster("m"),
		},
		"taints are checked before affinity": {
			policy:  &placementv1beta1.PlacementPolicy{Affinity: requiredTerms(labelTerm("environment", "canary"))},
			cluster: memberCluster("m", withTaint("gpu", "")),
			want:    "cluster has the taint gpu:NoSchedule, which the policy does not tolerate",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, filterProblem(tc.policy, &tc.cluster)); diff != "" {
				t.Errorf("filterProblem (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestReadinessAndKeepProblem(t *testing.T) {
	tests := map[string]struct {
		cluster             clusterv1beta1.MemberCluster
		wantKeep, wantReady string
	}{
		"joined and healthy": {cluster: memberCluster("m")},
		"not joined": {
			cluster:   memberCluster("m", notJoined),
			wantKeep:  "cluster has not joined the fleet (Joined is False)",
			wantReady: "cluster has not joined the fleet (Joined is False)",
		},
		"no conditions yet": {
			cluster:   clusterv1beta1.MemberCluster{ObjectMeta: metav1.ObjectMeta{Name: "m"}},
			wantKeep:  "cluster has not joined the fleet (Joined is Unknown)",
			wantReady: "cluster has not joined the fleet (Joined is Unknown)",
		},
		"joined but unhealthy: keeps picks, gets no new ones": {
			cluster:   memberCluster("m", unhealthy),
			wantReady: "cluster is not healthy (Healthy is False)",
		},
		"being deleted": {
			cluster:   memberCluster("m", deleting),
			wantKeep:  "cluster is being deleted",
			wantReady: "cluster is being deleted",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.wantKeep, keepProblem(&tc.cluster)); diff != "" {
				t.Errorf("keepProblem (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReady, readinessProblem(&tc.cluster)); diff != "" {
				t.Errorf("readinessProblem (-want,+got):\n%s", diff)
			}
		})
	}
}
