package framework

import (
	"fmt"
	"strings"
)

// PickAll is the placement policy picking every member cluster, as the
// YAML lines of spec.policy.
const PickAll = "placementType: PickAll"

// PickFixed is the placement policy picking the named member clusters.
func PickFixed(clusters ...string) string {
	return "placementType: PickFixed\nclusterNames: [" + strings.Join(clusters, ", ") + "]"
}

// ExternalPlacementYAML is a ClusterResourcePlacement named name selecting
// namespace, with all it holds, for the member clusters policy (YAML lines
// of spec.policy) picks, rolled out by update runs.
func ExternalPlacementYAML(name, namespace, policy string) string {
	return fmt.Sprintf(`apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: %s
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: %s
      version: v1
  policy:
    %s
  strategy:
    type: External
`, name, namespace, strings.ReplaceAll(policy, "\n", "\n    "))
}

// UpdateRunYAML is a ClusterStagedUpdateRun rolling snapshot index of
// placement crp out with strategy.
func UpdateRunYAML(name, crp, index, strategy string) string {
	return fmt.Sprintf(`apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: %s
spec:
  placementName: %s
  resourceSnapshotIndex: "%s"
  stagedRolloutStrategyName: %s
`, name, crp, index, strategy)
}
