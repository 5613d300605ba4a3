package apis

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// A resource snapshot shaped like the tutorial's example-placement-0-snapshot.
const seedResourceSnapshot = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourceSnapshot
metadata:
  name: example-placement-0-snapshot
  labels:
    kubernetes-fleet.io/is-latest-snapshot: "true"
    kubernetes-fleet.io/parent-CRP: example-placement
    kubernetes-fleet.io/resource-index: "0"
  annotations:
    kubernetes-fleet.io/resource-hash: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    kubernetes-fleet.io/number-of-resource-snapshots: "1"
spec:
  selectedResources:
  - apiVersion: v1
    kind: Namespace
    metadata:
      labels:
        kubernetes.io/metadata.name: test-namespace
      name: test-namespace
    spec:
      finalizers:
      - kubernetes
  - apiVersion: v1
    data:
      key: value1
    kind: ConfigMap
    metadata:
      name: test-cm
      namespace: test-namespace
`

const seedApprovalRequest = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterApprovalRequest
metadata:
  name: example-run-canary
  labels:
    kubernetes-fleet.io/targetUpdateRun: example-run
    kubernetes-fleet.io/targetUpdatingStage: canary
    kubernetes-fleet.io/taskType: afterStage
    kubernetes-fleet.io/isLatestUpdateRunApproval: "true"
spec:
  parentStageRollout: example-run
  targetStage: canary
`

// condition renders a condition for a status merge patch.
func condition(condType, status, reason string) string {
	return `{"type":"` + condType + `","status":"` + status + `","reason":"` + reason +
		`","message":"","lastTransitionTime":"2026-11-28T00:00:00Z","observedGeneration":1}`
}

func patchStatus(obj client.Object, status string) {
	GinkgoHelper()
	Expect(k8sClient.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"status":`+status+`}`)))).To(Succeed())
}

var _ = Describe("kubectl output of the tutorial's objects", Ordered, func() {
	It("applies the tutorial's placement and prints the placement columns", func() {
		Expect(kubectlWithInput(framework.SeedPlacement, "apply", "-f", "-")).
			To(Equal("clusterresourceplacement.placement.kubernetes-fleet.io/example-placement created\n"))

		rows := framework.Table(kubectl("get", "crp", "example-placement"))
		Expect(rows).To(HaveLen(2))
		Expect(rows[0]).To(Equal([]string{"NAME", "GEN", "SCHEDULED", "SCHEDULED-GEN", "AVAILABLE", "AVAILABLE-GEN", "AGE"}))
		Expect(rows[1][:2]).To(Equal([]string{"example-placement", "1"}))

		crp := fromYAML(framework.SeedPlacement)
		patchStatus(crp, `{"conditions":[`+condition("ClusterResourcePlacementScheduled", "True", "SchedulingPolicyFulfilled")+`]}`)
		rows = framework.Table(kubectl("get", "crp", "example-placement"))
		Expect(rows[1][:4]).To(Equal([]string{"example-placement", "1", "True", "1"}))
		Expect(rows[1]).To(HaveLen(5), "AVAILABLE and AVAILABLE-GEN stay blank until a rollout finished")
	})

	It("lists resource snapshots with the tutorial's columns and labels, served as v1", func() {
		Expect(k8sClient.Create(ctx, fromYAML(seedResourceSnapshot))).To(Succeed())

		rows := framework.Table(kubectl("get", "clusterresourcesnapshots", "--show-labels"))
		Expect(rows).To(HaveLen(2))
		Expect(rows[0]).To(Equal([]string{"NAME", "GEN", "AGE", "LABELS"}))
		Expect(rows[1][0]).To(Equal("example-placement-0-snapshot"))
		Expect(rows[1][1]).To(Equal("1"))
		Expect(rows[1][3]).To(Equal("kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0"))

		out := kubectl("get", "clusterresourcesnapshots", "example-placement-0-snapshot", "-o", "yaml")
		Expect(out).To(HavePrefix("apiVersion: placement.kubernetes-fleet.io/v1\nkind: ClusterResourceSnapshot\n"))
		Expect(out).To(ContainSubstring("    data:\n      key: value1\n"), "selected resources are kept as written")
	})

	It("applies the tutorial's strategy and run and prints the run columns", func() {
		Expect(kubectlWithInput(seedStrategy, "apply", "-f", "-")).
			To(Equal("clusterstagedupdatestrategy.placement.kubernetes-fleet.io/example-strategy created\n"))
		Expect(kubectlWithInput(seedRun, "apply", "-f", "-")).
			To(Equal("clusterstagedupdaterun.placement.kubernetes-fleet.io/example-run created\n"))

		run := fromYAML(seedRun)
		patchStatus(run, `{"resourceSnapshotIndexUsed":"1","policySnapshotIndexUsed":"0","conditions":[`+
			condition("Initialized", "True", "UpdateRunInitializedSuccessfully")+","+condition("Progressing", "True", "UpdateRunStarted")+`]}`)

		for _, resource := range []string{"crsur", "csur", "clusterstagedupdateruns"} {
			rows := framework.Table(kubectl("get", resource, "example-run"))
			Expect(rows).To(HaveLen(2), resource)
			Expect(rows[0]).To(Equal([]string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "SUCCEEDED", "AGE"}), resource)
			Expect(rows[1][:5]).To(Equal([]string{"example-run", "example-placement", "1", "0", "True"}), resource)
			Expect(rows[1]).To(HaveLen(6), "SUCCEEDED stays blank while the run is in progress")
		}

		rows := framework.Table(kubectl("get", "crsur", "example-run", "-o", "wide"))
		Expect(rows[0]).To(Equal([]string{"NAME", "PLACEMENT", "RESOURCE-SNAPSHOT", "POLICY-SNAPSHOT", "INITIALIZED", "PROGRESSING", "SUCCEEDED", "AGE", "STRATEGY"}))

		out := kubectl("get", "crsur", "example-run", "-o", "yaml")
		Expect(out).To(HavePrefix("apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateRun\n"))
	})

	It("prints the approval request columns before and after approval", func() {
		Expect(kubectlWithInput(seedApprovalRequest, "apply", "-f", "-")).
			To(Equal("clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary created\n"))

		rows := framework.Table(kubectl("get", "clusterapprovalrequest", "example-run-canary"))
		Expect(rows[0]).To(Equal([]string{"NAME", "UPDATE-RUN", "STAGE", "APPROVED", "APPROVALACCEPTED", "AGE"}))
		Expect(rows[1]).To(HaveLen(4), "APPROVED and APPROVALACCEPTED are blank before approval")
		Expect(rows[1][:3]).To(Equal([]string{"example-run-canary", "example-run", "canary"}))

		approval := fromYAML(seedApprovalRequest)
		patchStatus(approval, `{"conditions":[`+condition("Approved", "True", "lgtm")+","+
			condition("ApprovalAccepted", "True", "ApprovalRequestApprovalAccepted")+`]}`)
		rows = framework.Table(kubectl("get", "careq", "example-run-canary"))
		Expect(rows[1][:5]).To(Equal([]string{"example-run-canary", "example-run", "canary", "True", "True"}))
	})

	It("marks the run succeeded in the SUCCEEDED column", func() {
		run := fromYAML(seedRun)
		patchStatus(run, `{"conditions":[`+condition("Initialized", "True", "UpdateRunInitializedSuccessfully")+","+
			condition("Progressing", "True", "UpdateRunStarted")+","+condition("Succeeded", "True", "UpdateRunSucceeded")+`]}`)
		rows := framework.Table(kubectl("get", "crsur", "example-run"))
		Expect(rows[1][:6]).To(Equal([]string{"example-run", "example-placement", "1", "0", "True", "True"}))
	})
})
