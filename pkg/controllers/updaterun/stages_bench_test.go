package updaterun

import (
	"fmt"
	"strconv"
	"testing"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// BenchmarkComputeStages computes the stages of a run over 10 000 selected
// clusters: three stages by an environment label (10 %, 20 %, 70 %), each
// sorted by an integer label, as initialization does once per run.
func BenchmarkComputeStages(b *testing.B) {
	const n = 10000
	clusters := make([]clusterv1beta1.MemberCluster, n)
	selected := make(map[string]bool, n)
	for i := range clusters {
		env := "prod"
		switch {
		case i%10 == 0:
			env = "canary"
		case i%10 <= 2:
			env = "staging"
		}
		name := fmt.Sprintf("member-%05d", i)
		// Orders repeat, so ties fall back to names.
		clusters[i] = member(name, map[string]string{"environment": env, "order": strconv.Itoa((i * 7919) % 1000)})
		selected[name] = true
	}
	order := "order"
	strategy := &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
		{Name: "canary", LabelSelector: selector(map[string]string{"environment": "canary"}), SortingLabelKey: &order},
		{Name: "staging", LabelSelector: selector(map[string]string{"environment": "staging"}), SortingLabelKey: &order},
		{Name: "prod", LabelSelector: selector(map[string]string{"environment": "prod"}), SortingLabelKey: &order},
	}}

	b.ReportAllocs()
	for b.Loop() {
		stages, err := computeStages("run", strategy, clusters, selected)
		if err != nil {
			b.Fatal(err)
		}
		if len(stages) != 3 {
			b.Fatalf("got %d stages, want 3", len(stages))
		}
	}
}
