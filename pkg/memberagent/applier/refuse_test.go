package applier

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/memberagent/availability"
)

// hostileMapper serves what the refusal cases need besides ConfigMaps and
// Namespaces: Secrets, Pods, ClusterRoles and a fleet kind the member
// happens to serve (AppliedWork). ClusterResourcePlacement is not served,
// as on a real member.
func hostileMapper() meta.RESTMapper {
	m := testMapper().(*meta.DefaultRESTMapper)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Group: "placement.kubernetes-fleet.io", Version: "v1beta1", Kind: "AppliedWork"}, meta.RESTScopeRoot)
	return m
}

func TestDecodeManifestsRefusesWhatFleetNeverPlaces(t *testing.T) {
	const (
		kubeNamespaces  = "namespaces starting with kube- are reserved for Kubernetes and fleet"
		fleetNamespaces = "namespaces starting with fleet- are reserved for Kubernetes and fleet"
		fleetKinds      = "fleet's own objects stay on the hub"
	)
	// outcome is what a test sees of a decoded manifest; Message is empty
	// for manifests that are not refused.
	type outcome struct {
		ID        placementv1beta1.WorkResourceIdentifier
		Reason    string
		Message   string
		Transient bool
		Tracked   bool
	}
	refused := func(id placementv1beta1.WorkResourceIdentifier, why string) outcome {
		return outcome{ID: id, Reason: ManifestRefusedReason, Message: "The manifest is refused: fleet never places this object on a member cluster (" + why + ")"}
	}
	accepted := func(id placementv1beta1.WorkResourceIdentifier) outcome {
		return outcome{ID: id, Tracked: true}
	}
	configMap := placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "ConfigMap", Resource: "configmaps"}
	namespace := placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "Namespace", Resource: "namespaces"}
	secret := placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "Secret", Resource: "secrets"}
	in := func(id placementv1beta1.WorkResourceIdentifier, ns, name string) placementv1beta1.WorkResourceIdentifier {
		id.Namespace, id.Name = ns, name
		return id
	}

	tests := map[string]struct {
		manifest string
		want     outcome
	}{
		"a ConfigMap in kube-system is refused": {
			manifest: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns","namespace":"kube-system"},"data":{"Corefile":"."}}`,
			want:     refused(in(configMap, "kube-system", "coredns"), kubeNamespaces),
		},
		"a ConfigMap in fleet-system is refused": {
			manifest: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"agent","namespace":"fleet-system"}}`,
			want:     refused(in(configMap, "fleet-system", "agent"), fleetNamespaces),
		},
		"a ConfigMap in a member's hub namespace is refused": {
			manifest: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"fleet-member-member1"}}`,
			want:     refused(in(configMap, "fleet-member-member1", "x"), fleetNamespaces),
		},
		"the Namespace kube-system is refused": {
			manifest: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kube-system","labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`,
			want:     refused(in(namespace, "", "kube-system"), kubeNamespaces),
		},
		"the Namespace fleet-system is refused": {
			manifest: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"fleet-system"}}`,
			want:     refused(in(namespace, "", "fleet-system"), fleetNamespaces),
		},
		"a service account token Secret is refused": {
			manifest: `{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"builder-token","namespace":"app","annotations":{"kubernetes.io/service-account.name":"builder"}}}`,
			want:     refused(in(secret, "app", "builder-token"), "service account tokens are issued by each cluster"),
		},
		"the root CA config map is refused": {
			manifest: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt","namespace":"app"}}`,
			want:     refused(in(configMap, "app", "kube-root-ca.crt"), "every cluster publishes its own root CA config map"),
		},
		"a Pod is refused": {
			manifest: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"app"}}`,
			want: refused(placementv1beta1.WorkResourceIdentifier{Version: "v1", Kind: "Pod", Resource: "pods", Namespace: "app", Name: "p"},
				"pods are created on members by their workload controllers"),
		},
		"a fleet kind the member does not serve is refused, not retried": {
			manifest: `{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterResourcePlacement","metadata":{"name":"steer-another-hub"}}`,
			want: refused(placementv1beta1.WorkResourceIdentifier{Group: "placement.kubernetes-fleet.io", Version: "v1beta1", Kind: "ClusterResourcePlacement", Name: "steer-another-hub"},
				fleetKinds),
		},
		"a fleet kind the member serves is refused": {
			manifest: `{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"AppliedWork","metadata":{"name":"w"}}`,
			want: refused(placementv1beta1.WorkResourceIdentifier{Group: "placement.kubernetes-fleet.io", Version: "v1beta1", Kind: "AppliedWork", Name: "w"},
				fleetKinds),
		},
		"an object of another group ending in kubernetes-fleet.io is refused": {
			manifest: `{"apiVersion":"cluster.kubernetes-fleet.io/v1beta1","kind":"MemberCluster","metadata":{"name":"member2"}}`,
			want: refused(placementv1beta1.WorkResourceIdentifier{Group: "cluster.kubernetes-fleet.io", Version: "v1beta1", Kind: "MemberCluster", Name: "member2"},
				fleetKinds),
		},
		"an ordinary Secret is applied": {
			manifest: `{"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":"db","namespace":"app"}}`,
			want:     accepted(in(secret, "app", "db")),
		},
		"a ConfigMap without a namespace goes to default and is applied": {
			manifest: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}`,
			want:     accepted(in(configMap, "default", "cm")),
		},
		"a namespace whose name only starts like a reserved one is applied": {
			manifest: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kubeflow"}}`,
			want:     accepted(in(namespace, "", "kubeflow")),
		},
		"a cluster-scoped object that names kube-system as its namespace is applied without it": {
			manifest: `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"reader","namespace":"kube-system"}}`,
			want:     accepted(placementv1beta1.WorkResourceIdentifier{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Resource: "clusterroles", Name: "reader"}),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			work := &placementv1beta1.Work{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "fleet-member-m"}}
			work.Spec.Workload.Manifests = []placementv1beta1.Manifest{raw(tc.manifest)}
			ms := decodeManifests(work, hostileMapper())
			if len(ms) != 1 {
				t.Fatalf("decodeManifests() returned %d manifests, want 1", len(ms))
			}
			m := ms[0]
			if m.obj == nil {
				t.Fatalf("the manifest was not decoded; a refused manifest must keep its object so that stale objects can still be removed")
			}
			got := outcome{ID: m.id, Tracked: !m.gvr.Empty() && !m.refused()}
			if m.failure != nil {
				got.Reason, got.Message, got.Transient = m.failure.reason, m.failure.message, m.failure.transient
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decodeManifests() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRefusedManifestFailsTheWork(t *testing.T) {
	work := &placementv1beta1.Work{
		ObjectMeta: metav1.ObjectMeta{Generation: 2},
		Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{Manifests: []placementv1beta1.Manifest{
			raw(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app"}}`),
			raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns","namespace":"kube-system"}}`),
		}}},
	}
	const refusal = "The manifest is refused: fleet never places this object on a member cluster (namespaces starting with kube- are reserved for Kubernetes and fleet)"
	type cond struct {
		Type, Reason, Message string
		Status                metav1.ConditionStatus
	}
	conds := func(cs []metav1.Condition) []cond {
		var out []cond
		for _, c := range cs {
			out = append(out, cond{Type: c.Type, Reason: c.Reason, Message: c.Message, Status: c.Status})
		}
		return out
	}
	tests := map[string]struct {
		strategy      *placementv1beta1.ApplyStrategy
		wantWork      []cond
		wantManifests [][]cond
	}{
		"under an apply strategy the manifest and the Work are not Applied, with the reason": {
			wantWork: []cond{{
				Type: "Applied", Reason: placementv1beta1.WorkNotAllManifestsAppliedReason, Status: metav1.ConditionFalse,
				Message: "1 of 2 manifests are applied; manifest 1 (ConfigMap kube-system/coredns): " + refusal,
			}},
			wantManifests: [][]cond{
				{
					{Type: "Applied", Reason: placementv1beta1.ManifestAppliedReason, Message: "The manifest is applied", Status: metav1.ConditionTrue},
					{Type: "Available", Reason: placementv1beta1.ManifestAvailableReason, Message: "The object is available", Status: metav1.ConditionTrue},
				},
				{{Type: "Applied", Reason: ManifestRefusedReason, Message: refusal, Status: metav1.ConditionFalse}},
			},
		},
		"under ReportDiff the manifest is not compared, with the reason": {
			strategy: &placementv1beta1.ApplyStrategy{Type: placementv1beta1.ApplyStrategyTypeReportDiff},
			wantWork: []cond{{
				Type: "DiffReported", Reason: placementv1beta1.WorkNotAllManifestsDiffReportedReason, Status: metav1.ConditionFalse,
				Message: "1 of 2 manifests were compared with the member cluster; manifest 1 (ConfigMap kube-system/coredns): " + refusal,
			}},
			wantManifests: [][]cond{
				{{Type: "DiffReported", Reason: placementv1beta1.ManifestNoDiffFoundReason, Message: "The object matches the manifest", Status: metav1.ConditionTrue}},
				{{Type: "DiffReported", Reason: ManifestRefusedReason, Message: refusal, Status: metav1.ConditionFalse}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := work.DeepCopy()
			w.Spec.ApplyStrategy = tc.strategy
			manifests := decodeManifests(w, testMapper())
			reportDiff := tc.strategy != nil && tc.strategy.Type == placementv1beta1.ApplyStrategyTypeReportDiff
			// The namespace is processed as the member would; the refused
			// ConfigMap carries its failure, as process returns it.
			results := []*result{
				{reason: placementv1beta1.ManifestAppliedReason, message: "The manifest is applied", live: manifests[0].obj, availability: availability.Available},
				manifests[1].failure,
			}
			if reportDiff {
				results[0] = &result{reason: placementv1beta1.ManifestNoDiffFoundReason, message: "The object matches the manifest", live: manifests[0].obj}
			}
			if results[1] == nil {
				t.Fatalf("the ConfigMap in kube-system was not refused")
			}
			st := workStatus(w, manifests, results, reportDiff, metav1.Now())
			if diff := cmp.Diff(tc.wantWork, conds(st.Conditions)); diff != "" {
				t.Errorf("Work conditions (-want,+got):\n%s", diff)
			}
			var got [][]cond
			for _, mc := range st.ManifestConditions {
				got = append(got, conds(mc.Conditions))
			}
			if diff := cmp.Diff(tc.wantManifests, got); diff != "" {
				t.Errorf("manifest conditions (-want,+got):\n%s", diff)
			}
		})
	}
}
