package updaterun

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// approvalWaitTimeShown is the waitTime an Approval task without one shows
// in a run's strategy snapshot, as the tutorial prints it. It is not used.
const approvalWaitTimeShown = time.Hour

// snapshotStrategy returns the copy of a strategy a run keeps.
func snapshotStrategy(spec *placementv1beta1.UpdateStrategySpec) *placementv1beta1.UpdateStrategySpec {
	out := spec.DeepCopy()
	for i := range out.Stages {
		for _, tasks := range [][]placementv1beta1.StageTask{out.Stages[i].AfterStageTasks, out.Stages[i].BeforeStageTasks} {
			for j := range tasks {
				if tasks[j].Type == placementv1beta1.StageTaskTypeApproval && tasks[j].WaitTime == nil {
					tasks[j].WaitTime = &metav1.Duration{Duration: approvalWaitTimeShown}
				}
			}
		}
	}
	return out
}

// validateTasks checks what the API cannot: task combinations and wait times.
func validateTasks(stage *placementv1beta1.StageConfig) error {
	for _, t := range stage.BeforeStageTasks {
		if t.Type != placementv1beta1.StageTaskTypeApproval {
			return fail("stage %q: a before-stage task can only be an Approval, found %s", stage.Name, t.Type)
		}
	}
	if len(stage.BeforeStageTasks) > 1 {
		return fail("stage %q: at most one before-stage task is allowed, found %d", stage.Name, len(stage.BeforeStageTasks))
	}
	seen := map[placementv1beta1.StageTaskType]bool{}
	for _, t := range stage.AfterStageTasks {
		if seen[t.Type] {
			return fail("stage %q: the after-stage tasks hold two %s tasks; keep one of each type", stage.Name, t.Type)
		}
		seen[t.Type] = true
		if t.Type == placementv1beta1.StageTaskTypeTimedWait && (t.WaitTime == nil || t.WaitTime.Duration <= 0) {
			return fail("stage %q: the TimedWait after-stage task needs a waitTime above zero", stage.Name)
		}
	}
	return nil
}

// computeStages lays the selected clusters out into the strategy's stages:
// each stage takes the selected clusters whose MemberCluster labels match
// its selector (an empty selector takes all, none takes none), ordered by the
// integer value of sortingLabelKey and then by name. Every selected cluster
// must land in exactly one stage.
func computeStages(run string, strategy *placementv1beta1.UpdateStrategySpec, clusters []clusterv1beta1.MemberCluster, selected map[string]bool) ([]placementv1beta1.StageUpdatingStatus, error) {
	placedIn := make(map[string]string, len(selected))
	out := make([]placementv1beta1.StageUpdatingStatus, 0, len(strategy.Stages))
	for i := range strategy.Stages {
		stage := &strategy.Stages[i]
		if err := validateTasks(stage); err != nil {
			return nil, err
		}
		// Only names and sort keys are collected: copying whole
		// MemberClusters would dominate the cost in a large fleet.
		type member struct {
			name string
			key  int
		}
		var members []member
		if stage.LabelSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(stage.LabelSelector)
			if err != nil {
				return nil, fail("stage %q has an invalid labelSelector: %v", stage.Name, err)
			}
			for i := range clusters {
				mc := &clusters[i]
				if !selected[mc.Name] || !sel.Matches(labels.Set(mc.Labels)) {
					continue
				}
				m := member{name: mc.Name}
				if k := stage.SortingLabelKey; k != nil {
					v, err := strconv.Atoi(mc.Labels[*k])
					if err != nil {
						return nil, fail("stage %q sorts by label %q, but cluster %q has %q=%q, which is not an integer; set an integer value on the MemberCluster",
							stage.Name, *k, mc.Name, *k, mc.Labels[*k])
					}
					m.key = v
				}
				members = append(members, m)
			}
		}
		slices.SortFunc(members, func(a, b member) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.name, b.name))
		})

		status := placementv1beta1.StageUpdatingStatus{StageName: stage.Name, Clusters: make([]placementv1beta1.ClusterUpdatingStatus, 0, len(members))}
		for _, m := range members {
			if other, ok := placedIn[m.name]; ok {
				return nil, fail("cluster %q is selected by both stage %q and stage %q; make the stages' label selectors exclusive", m.name, other, stage.Name)
			}
			placedIn[m.name] = stage.Name
			status.Clusters = append(status.Clusters, placementv1beta1.ClusterUpdatingStatus{ClusterName: m.name})
		}
		for _, t := range stage.BeforeStageTasks {
			status.BeforeStageTaskStatus = append(status.BeforeStageTaskStatus, placementv1beta1.StageTaskStatus{
				Type: t.Type, ApprovalRequestName: fmt.Sprintf(placementv1beta1.BeforeStageApprovalTaskNameFmt, run, stage.Name),
			})
		}
		for _, t := range stage.AfterStageTasks {
			ts := placementv1beta1.StageTaskStatus{Type: t.Type}
			if t.Type == placementv1beta1.StageTaskTypeApproval {
				ts.ApprovalRequestName = fmt.Sprintf(placementv1beta1.AfterStageApprovalTaskNameFmt, run, stage.Name)
			}
			status.AfterStageTaskStatus = append(status.AfterStageTaskStatus, ts)
		}
		out = append(out, status)
	}

	var unplaced []string
	for name := range selected {
		if _, ok := placedIn[name]; !ok {
			unplaced = append(unplaced, name)
		}
	}
	if len(unplaced) > 0 {
		slices.Sort(unplaced)
		return nil, fail("%d selected cluster(s) match no stage of the strategy: %s; add a stage whose labelSelector selects them, or change their labels",
			len(unplaced), strings.Join(unplaced, ", "))
	}
	return out, nil
}

// maxConcurrency returns how many clusters of a stage of size n may update at
// once: an integer, or a percentage of n rounded down; at least 1.
func maxConcurrency(stage *placementv1beta1.StageConfig, n int) (int, error) {
	if stage.MaxConcurrency == nil {
		return 1, nil
	}
	v, err := intstr.GetScaledValueFromIntOrPercent(stage.MaxConcurrency, n, false)
	if err != nil {
		return 0, fail("stage %q has an invalid maxConcurrency %q: %v", stage.Name, stage.MaxConcurrency.String(), err)
	}
	return max(v, 1), nil
}
