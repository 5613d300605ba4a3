package apis

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// The strategy from the tutorial, verbatim.
const seedStrategy = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: example-strategy
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: 1m
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: Approval
`

// The update run from the tutorial, verbatim.
const seedRun = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: example-run
spec:
  placementName: example-placement
  resourceSnapshotIndex: "1"
  stagedRolloutStrategyName: example-strategy
`

// strategy returns a one-stage strategy manifest with the given stage body
// (YAML indented for a stage list item, after "- name: s1").
func strategy(stageBody string) string {
	return `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
spec:
  stages:
    - name: s1
` + stageBody
}

func strategyWithStages(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateStrategy\nspec:\n  stages:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - name: stage%d\n", i)
	}
	return b.String()
}

func maxConcurrency(v string) string { return "      maxConcurrency: " + v + "\n" }

func timedWait(waitTime string) string {
	return "      afterStageTasks:\n        - type: TimedWait\n          waitTime: " + waitTime + "\n"
}

// run returns an update run manifest with the given extra spec lines.
func run(extraSpec string) string {
	return `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
spec:
  placementName: example-placement
  stagedRolloutStrategyName: example-strategy
` + extraSpec
}

func runInState(state string) string { return run("  state: " + state + "\n") }

func statePatch(state string) string { return `{"spec":{"state":"` + state + `"}}` }

var _ = Describe("ClusterStagedUpdateStrategy validation", func() {
	DescribeTable("accepts valid strategies",
		func(c contractCase) { c.run() },
		Entry("the tutorial's strategy", contractCase{obj: seedStrategy}),
		Entry("an Approval before-stage task", contractCase{obj: strategy("      beforeStageTasks:\n        - type: Approval\n")}),
		Entry("an Approval with a waitTime, as older manifests have it", contractCase{obj: strategy("      afterStageTasks:\n        - type: Approval\n          waitTime: 1h\n")}),
		Entry("TimedWait and Approval after a stage", contractCase{obj: strategy("      afterStageTasks:\n        - type: TimedWait\n          waitTime: 5s\n        - type: Approval\n")}),
		Entry("31 stages", contractCase{obj: strategyWithStages(31)}),
		Entry("a 63-character stage name", contractCase{obj: strings.Replace(strategy(""), "s1", strings.Repeat("a", 63), 1)}),
		Entry("maxConcurrency 1", contractCase{obj: strategy(maxConcurrency("1"))}),
		Entry("maxConcurrency 100", contractCase{obj: strategy(maxConcurrency("100"))}),
		Entry("maxConcurrency above 100 as an integer", contractCase{obj: strategy(maxConcurrency("150"))}),
		Entry(`maxConcurrency "1%"`, contractCase{obj: strategy(maxConcurrency(`"1%"`))}),
		Entry(`maxConcurrency "50%"`, contractCase{obj: strategy(maxConcurrency(`"50%"`))}),
		Entry(`maxConcurrency "100%"`, contractCase{obj: strategy(maxConcurrency(`"100%"`))}),
		Entry("waitTime 0s", contractCase{obj: strategy(timedWait("0s"))}),
		Entry("waitTime 1h30m", contractCase{obj: strategy(timedWait("1h30m"))}),
		Entry("waitTime 1.5h", contractCase{obj: strategy(timedWait("1.5h"))}),
		Entry("an empty label selector (all clusters)", contractCase{obj: strategy("      labelSelector: {}\n")}),
	)

	DescribeTable("rejects invalid strategies with a message that says what to fix",
		func(c contractCase) { c.run() },
		Entry("more than 31 stages", contractCase{obj: strategyWithStages(32), wantErr: "must have at most 31 items"}),
		Entry("a stage name longer than 63 characters", contractCase{
			obj: strings.Replace(strategy(""), "s1", strings.Repeat("a", 64), 1), wantErr: "spec.stages[0].name: Too long"}),
		Entry("a stage name with a hyphen", contractCase{
			obj: strings.Replace(strategy(""), "s1", "stage-1", 1), wantErr: "should match '^[a-z0-9]+$'"}),
		Entry("a stage name with capitals", contractCase{
			obj: strings.Replace(strategy(""), "s1", "Canary", 1), wantErr: "should match '^[a-z0-9]+$'"}),
		Entry("an empty stage name", contractCase{
			obj: strings.Replace(strategy(""), "s1", `""`, 1), wantErr: "spec.stages[0].name"}),
		Entry("duplicate stage names", contractCase{
			obj:     strategy("    - name: canary\n    - name: canary\n"),
			wantErr: "stage names must be unique within a strategy; rename the stages that share a name"}),
		Entry("more than 2 after-stage tasks", contractCase{
			obj:     strategy("      afterStageTasks:\n        - type: Approval\n        - type: TimedWait\n          waitTime: 1m\n        - type: Approval\n"),
			wantErr: "must have at most 2 items"}),
		Entry("two after-stage tasks of the same type", contractCase{
			obj:     strategy("      afterStageTasks:\n        - type: Approval\n        - type: Approval\n"),
			wantErr: "afterStageTasks may hold at most one task of each type"}),
		Entry("a TimedWait without waitTime", contractCase{
			obj:     strategy("      afterStageTasks:\n        - type: TimedWait\n"),
			wantErr: "AfterStageTaskType is TimedWait, waitTime is required"}),
		Entry("a TimedWait without waitTime, added by an update", contractCase{
			obj:     strategy(""),
			patches: []string{`{"spec":{"stages":[{"name":"s1","afterStageTasks":[{"type":"TimedWait"}]}]}}`},
			wantErr: "AfterStageTaskType is TimedWait, waitTime is required"}),
		Entry("a TimedWait before a stage", contractCase{
			obj:     strategy("      beforeStageTasks:\n        - type: TimedWait\n          waitTime: 1m\n"),
			wantErr: "BeforeStageTaskType cannot be TimedWait"}),
		Entry("a TimedWait before a stage, added by an update", contractCase{
			obj:     strategy(""),
			patches: []string{`{"spec":{"stages":[{"name":"s1","beforeStageTasks":[{"type":"TimedWait","waitTime":"1m"}]}]}}`},
			wantErr: "BeforeStageTaskType cannot be TimedWait"}),
		Entry("more than 1 before-stage task", contractCase{
			obj:     strategy("      beforeStageTasks:\n        - type: Approval\n        - type: Approval\n"),
			wantErr: "must have at most 1 item"}),
		Entry("an unknown task type", contractCase{
			obj:     strategy("      afterStageTasks:\n        - type: Webhook\n"),
			wantErr: `Unsupported value: "Webhook"`}),
		Entry("maxConcurrency -1", contractCase{obj: strategy(maxConcurrency("-1")), wantErr: "maxConcurrency must be at least 1"}),
		Entry("maxConcurrency 0", contractCase{obj: strategy(maxConcurrency("0")), wantErr: "maxConcurrency must be at least 1"}),
		Entry(`maxConcurrency "0"`, contractCase{obj: strategy(maxConcurrency(`"0"`)), wantErr: "should match '^(100|[1-9][0-9]?)%$'"}),
		Entry(`maxConcurrency "50"`, contractCase{obj: strategy(maxConcurrency(`"50"`)), wantErr: "should match '^(100|[1-9][0-9]?)%$'"}),
		Entry(`maxConcurrency "0%"`, contractCase{obj: strategy(maxConcurrency(`"0%"`)), wantErr: "should match '^(100|[1-9][0-9]?)%$'"}),
		Entry(`maxConcurrency "101%"`, contractCase{obj: strategy(maxConcurrency(`"101%"`)), wantErr: "should match '^(100|[1-9][0-9]?)%$'"}),
		Entry("waitTime 0abc", contractCase{obj: strategy(timedWait("0abc")), wantErr: "waitTime in body should match"}),
		Entry("waitTime 1 (no unit)", contractCase{obj: strategy(timedWait(`"1"`)), wantErr: "waitTime in body should match"}),
		Entry("waitTime 1d (days are not a unit)", contractCase{obj: strategy(timedWait("1d")), wantErr: "waitTime in body should match"}),
		Entry("waitTime 01h (leading zero)", contractCase{obj: strategy(timedWait("01h")), wantErr: "waitTime in body should match"}),
	)
})

var _ = Describe("ClusterStagedUpdateRun validation", func() {
	DescribeTable("accepts valid runs",
		func(c contractCase) { c.run() },
		Entry("the tutorial's run", contractCase{obj: seedRun}),
		Entry("a run without resourceSnapshotIndex (the latest snapshot)", contractCase{obj: run("")}),
		Entry("a run with a 63-character name", contractCase{
			obj: run(""), name: strings.Repeat("r", 63)}),
		Entry("a run created in state Initialize", contractCase{obj: runInState("Initialize")}),
		Entry("a run created in state Run", contractCase{obj: runInState("Run")}),
		Entry("a run created in state Stop", contractCase{obj: runInState("Stop")}),
		Entry("Initialize to Run", contractCase{obj: runInState("Initialize"), patches: []string{statePatch("Run")}}),
		Entry("Run to Stop", contractCase{obj: runInState("Run"), patches: []string{statePatch("Stop")}}),
		Entry("Stop to Run", contractCase{obj: runInState("Stop"), patches: []string{statePatch("Run")}}),
		Entry("Initialize to Run to Stop to Run", contractCase{
			obj: runInState("Initialize"), patches: []string{statePatch("Run"), statePatch("Stop"), statePatch("Run")}}),
		Entry("no state (Run) to Stop", contractCase{obj: run(""), patches: []string{statePatch("Stop")}}),
		Entry("Stop to no state (Run)", contractCase{obj: runInState("Stop"), patches: []string{`{"spec":{"state":null}}`}}),
		Entry("the same state again", contractCase{obj: runInState("Initialize"), patches: []string{statePatch("Initialize")}}),
	)

	DescribeTable("rejects invalid runs and changes",
		func(c contractCase) { c.run() },
		Entry("a name longer than 63 characters", contractCase{
			obj: run(""), name: strings.Repeat("r", 64),
			wantErr: "metadata.name max length is 63"}),
		Entry("no placementName", contractCase{
			obj:     "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateRun\nspec:\n  stagedRolloutStrategyName: s\n",
			wantErr: "spec.placementName: Required value"}),
		Entry("no stagedRolloutStrategyName", contractCase{
			obj:     "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateRun\nspec:\n  placementName: p\n",
			wantErr: "spec.stagedRolloutStrategyName: Required value"}),
		Entry("a negative resourceSnapshotIndex", contractCase{
			obj: run(`  resourceSnapshotIndex: "-1"` + "\n"), wantErr: "resourceSnapshotIndex must be a non-negative integer"}),
		Entry("a resourceSnapshotIndex that is not a number", contractCase{
			obj: run(`  resourceSnapshotIndex: "latest"` + "\n"), wantErr: "resourceSnapshotIndex must be a non-negative integer"}),
		Entry("an unknown state", contractCase{obj: runInState("Pause"), wantErr: `Unsupported value: "Pause"`}),
		Entry("changing placementName", contractCase{
			obj: seedRun, patches: []string{`{"spec":{"placementName":"other"}}`}, wantErr: "placementName is immutable"}),
		Entry("changing resourceSnapshotIndex", contractCase{
			obj: seedRun, patches: []string{`{"spec":{"resourceSnapshotIndex":"0"}}`},
			wantErr: "resourceSnapshotIndex is immutable"}),
		Entry("removing resourceSnapshotIndex", contractCase{
			obj: seedRun, patches: []string{`{"spec":{"resourceSnapshotIndex":null}}`},
			wantErr: "resourceSnapshotIndex is immutable"}),
		Entry("adding resourceSnapshotIndex", contractCase{
			obj: run(""), patches: []string{`{"spec":{"resourceSnapshotIndex":"3"}}`}, wantErr: "resourceSnapshotIndex is immutable"}),
		Entry("changing stagedRolloutStrategyName", contractCase{
			obj: seedRun, patches: []string{`{"spec":{"stagedRolloutStrategyName":"other"}}`},
			wantErr: "stagedRolloutStrategyName is immutable"}),
		Entry("Initialize to Stop", contractCase{
			obj: runInState("Initialize"), patches: []string{statePatch("Stop")},
			wantErr: "invalid state transition: cannot transition from Initialize to Stop"}),
		Entry("Run to Initialize", contractCase{
			obj: runInState("Run"), patches: []string{statePatch("Initialize")},
			wantErr: "invalid state transition: cannot transition from Run to Initialize"}),
		Entry("no state (Run) to Initialize", contractCase{
			obj: run(""), patches: []string{statePatch("Initialize")},
			wantErr: "invalid state transition: cannot transition from Run to Initialize"}),
		Entry("Stop to Initialize", contractCase{
			obj: runInState("Stop"), patches: []string{statePatch("Initialize")},
			wantErr: "invalid state transition: cannot transition from Stop to Initialize"}),
	)

	It("keeps a run created without state in the default Run state, with no state written", func() {
		obj := fromYAML(run(""))
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := &placementv1beta1.ClusterStagedUpdateRun{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: obj.GetName()}, got)).To(Succeed())
		Expect(got.Spec.State).To(BeEmpty())
		Expect(got.Spec.PlacementName).To(Equal("example-placement"))
	})

	It("defaults maxConcurrency to 1 in a strategy", func() {
		obj := fromYAML(strategy(""))
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		got := &placementv1beta1.ClusterStagedUpdateStrategy{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: obj.GetName()}, got)).To(Succeed())
		Expect(got.Spec.Stages).To(HaveLen(1))
		Expect(got.Spec.Stages[0].MaxConcurrency).NotTo(BeNil())
		Expect(got.Spec.Stages[0].MaxConcurrency.IntValue()).To(Equal(1))
	})
})

const approvalRequest = `
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterApprovalRequest
metadata:
  labels:
    kubernetes-fleet.io/targetUpdateRun: example-run
    kubernetes-fleet.io/targetUpdatingStage: canary
spec:
  parentStageRollout: example-run
  targetStage: canary
`

var _ = Describe("ClusterApprovalRequest validation", func() {
	DescribeTable("enforces an immutable spec",
		func(c contractCase) { c.run() },
		Entry("a valid request", contractCase{obj: approvalRequest}),
		Entry("a label change", contractCase{obj: approvalRequest, patches: []string{`{"metadata":{"labels":{"team":"a"}}}`}}),
		Entry("changing the stage", contractCase{
			obj: approvalRequest, patches: []string{`{"spec":{"targetStage":"prod"}}`}, wantErr: "The spec field is immutable"}),
		Entry("changing the run", contractCase{
			obj: approvalRequest, patches: []string{`{"spec":{"parentStageRollout":"other-run"}}`}, wantErr: "The spec field is immutable"}),
		Entry("no targetStage", contractCase{
			obj:     "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterApprovalRequest\nspec:\n  parentStageRollout: r\n",
			wantErr: "spec.targetStage: Required value"}),
	)

	It("accepts an approval written to the status subresource, as the tutorial does", func() {
		obj := fromYAML(approvalRequest)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		patch := `{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm",` +
			`"lastTransitionTime":"2026-11-28T00:00:00Z","observedGeneration":1}]}}`
		out := kubectl("patch", "clusterapprovalrequests", obj.GetName(), "--type=merge", "-p", patch, "--subresource=status")
		Expect(out).To(Equal("clusterapprovalrequest.placement.kubernetes-fleet.io/" + obj.GetName() + " patched\n"))

		got := &placementv1beta1.ClusterApprovalRequest{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: obj.GetName()}, got)).To(Succeed())
		Expect(got.Generation).To(Equal(int64(1)), "status writes must not bump the generation approvals are checked against")
		Expect(got.Status.Conditions).To(HaveLen(1))
		Expect(got.Status.Conditions[0].Type).To(Equal(string(placementv1beta1.ApprovalRequestConditionApproved)))
	})
})
