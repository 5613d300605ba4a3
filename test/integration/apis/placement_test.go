package apis

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// placement returns a ClusterResourcePlacement selecting one namespace, with
// the given policy and strategy lines (YAML indented under spec).
func placement(specExtra string) string {
	return `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: test-namespace
      version: v1
` + specExtra
}

var _ = Describe("ClusterResourcePlacement validation", func() {
	DescribeTable("accepts valid placements",
		func(c contractCase) { c.run() },
		Entry("the tutorial's placement", contractCase{obj: framework.SeedPlacement}),
		Entry("the tutorial's placement written as v1", contractCase{obj: strings.Replace(framework.SeedPlacement, "kubernetes-fleet.io/v1beta1", "kubernetes-fleet.io/v1", 1)}),
		Entry("no policy (PickAll)", contractCase{obj: placement("")}),
		Entry("PickN with numberOfClusters", contractCase{obj: placement("  policy:\n    placementType: PickN\n    numberOfClusters: 2\n")}),
		Entry("PickFixed with clusterNames", contractCase{obj: placement("  policy:\n    placementType: PickFixed\n    clusterNames: [member1]\n")}),
		Entry("RollingUpdate to External", contractCase{
			obj:     placement("  strategy:\n    type: RollingUpdate\n"),
			patches: []string{`{"spec":{"strategy":{"type":"External"}}}`}}),
		Entry("RollingUpdate with its settings to External (the settings are ignored)", contractCase{
			obj:     placement("  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 1\n"),
			patches: []string{`{"spec":{"strategy":{"type":"External"}}}`}}),
		Entry("a 63-character name", contractCase{
			obj: placement(""), name: strings.Repeat("p", 63)}),
	)

	DescribeTable("rejects invalid placements with a message that says what to fix",
		func(c contractCase) { c.run() },
		Entry("a name longer than 63 characters", contractCase{
			obj: placement(""), name: strings.Repeat("p", 64),
			wantErr: "name must not exceed 63 characters"}),
		Entry("no resource selectors", contractCase{
			obj:     "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterResourcePlacement\nspec:\n  resourceSelectors: []\n",
			wantErr: "spec.resourceSelectors"}),
		Entry("a selector with both name and labelSelector", contractCase{
			obj:     strings.Replace(placement(""), "name: test-namespace", "name: test-namespace\n      labelSelector:\n        matchLabels:\n          a: b", 1),
			wantErr: "name and labelSelector are mutually exclusive"}),
		Entry("PickFixed without clusterNames", contractCase{
			obj:     placement("  policy:\n    placementType: PickFixed\n"),
			wantErr: "clusterNames is required when placementType is PickFixed"}),
		Entry("PickFixed with numberOfClusters", contractCase{
			obj:     placement("  policy:\n    placementType: PickFixed\n    clusterNames: [member1]\n    numberOfClusters: 1\n"),
			wantErr: "cannot be set when placementType is PickFixed"}),
		Entry("PickN without numberOfClusters", contractCase{
			obj:     placement("  policy:\n    placementType: PickN\n"),
			wantErr: "numberOfClusters must be set when placementType is PickN"}),
		Entry("PickN with clusterNames", contractCase{
			obj:     placement("  policy:\n    placementType: PickN\n    numberOfClusters: 1\n    clusterNames: [member1]\n"),
			wantErr: "clusterNames cannot be set and numberOfClusters must be set when placementType is PickN"}),
		Entry("PickAll with numberOfClusters", contractCase{
			obj:     placement("  policy:\n    placementType: PickAll\n    numberOfClusters: 2\n"),
			wantErr: "cannot be set when placementType is PickAll"}),
		Entry("an unknown placement type", contractCase{
			obj:     placement("  policy:\n    placementType: PickSome\n"),
			wantErr: `Unsupported value: "PickSome"`}),
		Entry("changing the placement type", contractCase{
			obj:     placement("  policy:\n    placementType: PickAll\n"),
			patches: []string{`{"spec":{"policy":{"placementType":"PickN","numberOfClusters":1}}}`},
			wantErr: "placement type is immutable"}),
		Entry("removing the policy", contractCase{
			obj:     placement("  policy:\n    placementType: PickAll\n"),
			patches: []string{`{"spec":{"policy":null}}`},
			wantErr: "policy cannot be removed once set"}),
		Entry("External back to RollingUpdate", contractCase{
			obj:     framework.SeedPlacement,
			patches: []string{`{"spec":{"strategy":{"type":"RollingUpdate"}}}`},
			wantErr: "cannot change rollout strategy type from 'External' to other types"}),
		Entry("an unknown rollout strategy type", contractCase{
			obj:     placement("  strategy:\n    type: BlueGreen\n"),
			wantErr: `Unsupported value: "BlueGreen"`}),
		Entry("maxUnavailable as a number in a string", contractCase{
			obj:     placement("  strategy:\n    rollingUpdate:\n      maxUnavailable: \"25\"\n"),
			wantErr: "maxUnavailable must be an integer such as 1 or a percentage such as 25%"}),
		Entry("revisionHistoryLimit 0", contractCase{
			obj:     placement("  revisionHistoryLimit: 0\n"),
			wantErr: "spec.revisionHistoryLimit"}),
		Entry("serverSideApplyConfig without ServerSideApply", contractCase{
			obj:     placement("  strategy:\n    applyStrategy:\n      type: ClientSideApply\n      serverSideApplyConfig:\n        force: true\n"),
			wantErr: "serverSideApplyConfig is only valid for ServerSideApply strategy type"}),
	)
})

const memberCluster = `
apiVersion: cluster.kubernetes-fleet.io/v1beta1
kind: MemberCluster
metadata:
  labels:
    environment: canary
    order: "2"
spec:
  identity:
    name: fleet-member-agent-member1
    kind: ServiceAccount
    namespace: fleet-system
    apiGroup: ""
  heartbeatPeriodSeconds: 60
`

var _ = Describe("MemberCluster validation", func() {
	DescribeTable("validates member clusters",
		func(c contractCase) { c.run() },
		Entry("a member like the tutorial's", contractCase{obj: memberCluster}),
		Entry("a member written as v1", contractCase{obj: strings.Replace(memberCluster, "kubernetes-fleet.io/v1beta1", "kubernetes-fleet.io/v1", 1)}),
		Entry("a taint with an invalid key", contractCase{
			obj:     memberCluster + "  taints:\n    - key: \"bad key!\"\n      effect: NoSchedule\n",
			wantErr: "spec.taints[0].key"}),
	)
})
