package hubagent

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestRequiredKinds(t *testing.T) {
	var got []string
	for _, gvk := range RequiredKinds(NewScheme()) {
		got = append(got, gvk.GroupVersion().String()+"/"+gvk.Kind)
	}
	want := []string{
		"cluster.kubernetes-fleet.io/v1beta1/InternalMemberCluster",
		"cluster.kubernetes-fleet.io/v1beta1/MemberCluster",
		"placement.kubernetes-fleet.io/v1beta1/ClusterApprovalRequest",
		"placement.kubernetes-fleet.io/v1beta1/ClusterResourceBinding",
		"placement.kubernetes-fleet.io/v1beta1/ClusterResourcePlacement",
		"placement.kubernetes-fleet.io/v1beta1/ClusterResourceSnapshot",
		"placement.kubernetes-fleet.io/v1beta1/ClusterSchedulingPolicySnapshot",
		"placement.kubernetes-fleet.io/v1beta1/ClusterStagedUpdateRun",
		"placement.kubernetes-fleet.io/v1beta1/ClusterStagedUpdateStrategy",
		"placement.kubernetes-fleet.io/v1beta1/Work",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RequiredKinds() mismatch (-want,+got):\n%s", diff)
	}
}

func TestCheckCRDs(t *testing.T) {
	placement := schema.GroupVersion{Group: "placement.kubernetes-fleet.io", Version: "v1beta1"}
	cluster := schema.GroupVersion{Group: "cluster.kubernetes-fleet.io", Version: "v1beta1"}
	required := []schema.GroupVersionKind{
		placement.WithKind("ClusterResourcePlacement"),
		placement.WithKind("ClusterStagedUpdateStrategy"),
		cluster.WithKind("MemberCluster"),
	}
	tests := map[string]struct {
		served      []*metav1.APIResourceList
		wantMissing []string
	}{
		"all kinds served": {
			served: []*metav1.APIResourceList{
				{GroupVersion: placement.String(), APIResources: []metav1.APIResource{
					{Name: "clusterresourceplacements", Kind: "ClusterResourcePlacement"},
					{Name: "clusterstagedupdatestrategies", Kind: "ClusterStagedUpdateStrategy"},
				}},
				{GroupVersion: cluster.String(), APIResources: []metav1.APIResource{{Name: "memberclusters", Kind: "MemberCluster"}}},
			},
		},
		"no Flotilla group served names every CRD": {
			wantMissing: []string{
				"clusterresourceplacements.placement.kubernetes-fleet.io",
				"clusterstagedupdatestrategies.placement.kubernetes-fleet.io",
				"memberclusters.cluster.kubernetes-fleet.io",
			},
		},
		"a kind served only as a subresource is missing": {
			served: []*metav1.APIResourceList{
				{GroupVersion: placement.String(), APIResources: []metav1.APIResource{
					{Name: "clusterresourceplacements", Kind: "ClusterResourcePlacement"},
					{Name: "clusterstagedupdatestrategies/status", Kind: "ClusterStagedUpdateStrategy"},
				}},
				{GroupVersion: cluster.String(), APIResources: []metav1.APIResource{{Name: "memberclusters", Kind: "MemberCluster"}}},
			},
			wantMissing: []string{"clusterstagedupdatestrategies.placement.kubernetes-fleet.io"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: tc.served}}
			err := CheckCRDs(t.Context(), dc, required)
			var missing *MissingCRDsError
			if !errors.As(err, &missing) {
				if tc.wantMissing != nil || err != nil {
					t.Fatalf("CheckCRDs() = %v, want missing %v", err, tc.wantMissing)
				}
				return
			}
			if diff := cmp.Diff(tc.wantMissing, missing.CRDs); diff != "" {
				t.Errorf("missing CRDs mismatch (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestMissingCRDsErrorMessage(t *testing.T) {
	err := &MissingCRDsError{CRDs: []string{"a.example.io", "b.example.io"}}
	want := "the API server does not serve 2 required CRD(s): a.example.io, b.example.io; install them with " +
		"'kubectl apply -f config/crd/bases' (or the hub-agent Helm chart) and start the hub agent again"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !IsMissingCRDs(err) {
		t.Error("IsMissingCRDs() = false, want true")
	}
}
