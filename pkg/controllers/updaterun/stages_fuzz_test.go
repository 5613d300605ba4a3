package updaterun

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// FuzzComputeStages lays out clusters whose labels come from the fuzzer
// (environment and order values, any bytes) into a three-stage strategy
// sorted by order: it never panics, and when it succeeds every selected
// cluster is in exactly one stage, in (order, name) order within it.
func FuzzComputeStages(f *testing.F) {
	f.Add([]byte("canary\x001\x00staging\x00\x00canary\x002\x00"), "order")
	f.Add([]byte("prod\x00-5\x00prod\x00x\x00"), "order")
	f.Add([]byte("canary\x00999999999999999999999\x00"), "order")
	f.Add([]byte(""), "")
	f.Fuzz(func(t *testing.T, data []byte, sortKey string) {
		fields := splitFields(data)
		var clusters []clusterv1beta1.MemberCluster
		selected := map[string]bool{}
		for i := 0; i+1 < len(fields); i += 2 {
			name := fmt.Sprintf("member-%03d", i/2)
			clusters = append(clusters, member(name, map[string]string{"environment": fields[i], "order": fields[i+1]}))
			if i%3 != 0 { // some clusters are not selected by the policy
				selected[name] = true
			}
		}
		order := "order"
		strategy := &placementv1beta1.UpdateStrategySpec{Stages: []placementv1beta1.StageConfig{
			{Name: "canary", LabelSelector: selector(map[string]string{"environment": "canary"}), SortingLabelKey: &order},
			{Name: "staging", LabelSelector: selector(map[string]string{"environment": "staging"})},
			{Name: "rest", LabelSelector: selector(map[string]string{"environment": "prod"}), SortingLabelKey: &sortKey},
		}}
		stages, err := computeStages("run", strategy, clusters, selected)
		if err != nil {
			return // bad labels and unplaced clusters are reported, not placed
		}
		labelsOf := map[string]map[string]string{}
		for _, c := range clusters {
			labelsOf[c.Name] = c.Labels
		}
		seen := map[string]bool{}
		for si, s := range stages {
			key := strategy.Stages[si].SortingLabelKey
			for ci, c := range s.Clusters {
				if seen[c.ClusterName] || !selected[c.ClusterName] {
					t.Fatalf("cluster %q placed twice or not selected", c.ClusterName)
				}
				seen[c.ClusterName] = true
				if ci == 0 || key == nil {
					continue
				}
				prev := s.Clusters[ci-1].ClusterName
				a, _ := strconv.Atoi(labelsOf[prev][*key])
				b, _ := strconv.Atoi(labelsOf[c.ClusterName][*key])
				if a > b || (a == b && prev > c.ClusterName) {
					t.Fatalf("stage %q: %q (%d) before %q (%d)", s.StageName, prev, a, c.ClusterName, b)
				}
			}
		}
		if len(seen) != len(selected) {
			t.Fatalf("%d clusters placed, %d selected", len(seen), len(selected))
		}
	})
}

// FuzzMaxConcurrency: any maxConcurrency a user can write (an integer or a
// string) over any stage size gives an error or a concurrency of at least 1,
// never a panic. (The CRD's validation keeps percentages within 1-100 %.)
func FuzzMaxConcurrency(f *testing.F) {
	f.Add("50%", int32(0), false, 20)
	f.Add("", int32(3), true, 7)
	f.Add("0%", int32(0), false, 1)
	f.Add("1000%", int32(0), false, 3)
	f.Add("-5%", int32(-5), true, 0)
	f.Add("abc", int32(0), false, 10)
	f.Fuzz(func(t *testing.T, s string, i int32, isInt bool, n int) {
		if n < 0 || n > 1_000_000 {
			t.Skip()
		}
		v := intstr.FromString(s)
		if isInt {
			v = intstr.FromInt32(i)
		}
		got, err := maxConcurrency(&placementv1beta1.StageConfig{Name: "s", MaxConcurrency: &v}, n)
		if err != nil {
			return
		}
		if got < 1 {
			t.Fatalf("maxConcurrency(%s, %d) = %d, want at least 1", v.String(), n, got)
		}
		if !isInt && validPercent.MatchString(s) && got > max(n, 1) {
			t.Fatalf("maxConcurrency(%s, %d) = %d, more than the stage's clusters", s, n, got)
		}
	})
}

// validPercent is the CRD's pattern for a percentage maxConcurrency.
var validPercent = regexp.MustCompile(`^(100|[1-9][0-9]?)%$`)

// splitFields cuts data at NUL bytes.
func splitFields(data []byte) []string {
	var out []string
	start := 0
	for i, b := range data {
		if b == 0 {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	return append(out, string(data[start:]))
}
