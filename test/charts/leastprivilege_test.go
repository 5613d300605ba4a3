package charts

import (
	"fmt"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestHubAgentWildcardsOnlyRead checks the hub agent's least privilege: the
// only wildcard it holds is reading every kind, which resource selection
// needs (a placement may select any kind, CRDs included, and the hub agent
// snapshots what it selects). Every write names its group and resources.
func TestHubAgentWildcardsOnlyRead(t *testing.T) {
	rbac := ConfigRBAC(t)
	read := []string{"get", "list", "watch"}
	for i, rule := range slices.Concat(rbac.ClusterRules, rbac.NamespaceRules) {
		name := fmt.Sprintf("rule %d (groups %v, resources %v, verbs %v)", i, rule.APIGroups, rule.Resources, rule.Verbs)
		if slices.Contains(rule.Verbs, rbacv1.VerbAll) {
			t.Errorf("%s grants every verb", name)
		}
		wildcard := slices.Contains(rule.APIGroups, rbacv1.APIGroupAll) || slices.Contains(rule.Resources, rbacv1.ResourceAll)
		if !wildcard {
			continue
		}
		for _, v := range rule.Verbs {
			if !slices.Contains(read, v) {
				t.Errorf("%s grants %q on a wildcard; only %v may be", name, v, read)
			}
		}
	}
	for _, rule := range rbac.ClusterRules {
		if slices.Contains(rule.APIGroups, rbacv1.APIGroupAll) && slices.Contains(rule.Resources, rbacv1.ResourceAll) {
			return
		}
	}
	t.Error("the hub agent cannot read every kind; resource selection needs it (update this test and docs/reliability.md if that changed on purpose)")
}
