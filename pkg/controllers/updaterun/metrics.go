package updaterun

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

var (
	// statusTimestamp is set to the time of every reconcile, labelled with
	// the run's most telling condition.
	statusTimestamp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fleet_workload_update_run_status_last_timestamp_seconds",
		Help: "Last time an update run was reconciled, labelled with its most significant condition and failure type.",
	}, []string{"namespace", "name", "state", "condition", "status", "reason", "failureType"})

	// approvalLatency is how long approvals took, from request to acceptance.
	approvalLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "fleet_workload_update_run_approval_request_latency_seconds",
		Help:    "Time from an approval request's creation to its acceptance.",
		Buckets: []float64{60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400},
	}, []string{"namespace", "name", "taskType"})

	// stageDuration is how long a stage's clusters took to update.
	stageDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "fleet_workload_update_run_stage_cluster_updating_duration_seconds",
		Help:    "Time from a stage's start until all its clusters finished updating, stage tasks excluded.",
		Buckets: []float64{15, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(statusTimestamp, approvalLatency, stageDuration)
}

// recordStatus sets the status gauge of a run from its most significant
// current condition: Succeeded, then Progressing, then Initialized.
func recordStatus(run *placementv1beta1.ClusterStagedUpdateRun, now float64) {
	state := string(run.Spec.State)
	if state == "" {
		state = string(placementv1beta1.StateRun)
	}
	for _, t := range []placementv1beta1.StagedUpdateRunConditionType{
		placementv1beta1.StagedUpdateRunConditionSucceeded,
		placementv1beta1.StagedUpdateRunConditionProgressing,
		placementv1beta1.StagedUpdateRunConditionInitialized,
	} {
		c := meta.FindStatusCondition(run.Status.Conditions, string(t))
		if c == nil || c.ObservedGeneration != run.Generation {
			continue
		}
		statusTimestamp.DeletePartialMatch(prometheus.Labels{"namespace": run.Namespace, "name": run.Name})
		statusTimestamp.WithLabelValues(run.Namespace, run.Name, state, c.Type, string(c.Status), c.Reason, failureType(c)).Set(now)
		return
	}
}

// failureType says whose move a condition waits for: none, the user's
// (something to fix in the inputs) or the system's (stuck, internal).
func failureType(c *metav1.Condition) string {
	switch c.Reason {
	case placementv1beta1.UpdateRunFailedReason, placementv1beta1.UpdateRunInitializeFailedReason:
		if strings.Contains(c.Message, "concurrent") {
			return "internal_error"
		}
		return "user_error"
	case placementv1beta1.UpdateRunStuckReason:
		return "internal_error"
	}
	return "none"
}

// forgetMetrics drops every series of a deleted run.
func forgetMetrics(run *placementv1beta1.ClusterStagedUpdateRun) {
	labels := prometheus.Labels{"namespace": run.Namespace, "name": run.Name}
	statusTimestamp.DeletePartialMatch(labels)
	approvalLatency.DeletePartialMatch(labels)
	stageDuration.DeletePartialMatch(labels)
}
