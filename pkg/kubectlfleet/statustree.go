package kubectlfleet

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// deletionStageLabel names the deletion stage in the tree; stage names
// cannot contain a space, so it never collides with one.
const deletionStageLabel = "deletion stage"

// statusTree renders an update run as a header and a tree of its stages,
// each with its before-stage tasks, clusters and after-stage tasks.
type statusTree struct {
	run *placementv1beta1.ClusterStagedUpdateRun
	// requests are the run's approval requests by name; a request missing
	// here is shown from the run's status alone.
	requests map[string]*placementv1beta1.ClusterApprovalRequest
	now      time.Time
}

// treeRow is one line of the stage tree.
type treeRow struct {
	label, state, age, details string
}

func renderStatus(w io.Writer, run *placementv1beta1.ClusterStagedUpdateRun, requests map[string]*placementv1beta1.ClusterApprovalRequest, now time.Time) error {
	t := &statusTree{run: run, requests: requests, now: now}
	var b strings.Builder
	t.header(&b)
	rows := t.rows()
	if len(rows) == 0 {
		b.WriteString("\nNo stages yet: the run has not computed its plan.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\n")
	var table strings.Builder
	tw := printers.GetNewTabWriter(&table)
	fmt.Fprintln(tw, "STAGE\tSTATE\tAGE\tDETAILS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.label, r.state, r.age, r.details)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Empty cells at the end of a row leave padding behind.
	for line := range strings.Lines(table.String()) {
		b.WriteString(strings.TrimRight(line, " \n"))
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *statusTree) header(b *strings.Builder) {
	field := func(name, value string) { fmt.Fprintf(b, "%-20s%s\n", name+":", value) }
	run := t.run
	field("Name", run.Name)
	field("Placement", run.Spec.PlacementName)
	field("Strategy", run.Spec.StagedUpdateStrategyName)
	resource := run.Status.ResourceSnapshotIndexUsed
	switch {
	case resource != "":
	case run.Spec.ResourceSnapshotIndex != "":
		resource = run.Spec.ResourceSnapshotIndex + " (requested)"
	default:
		resource = "latest (not resolved yet)"
	}
	field("Resource snapshot", resource)
	field("Policy snapshot", orDash(run.Status.PolicySnapshotIndexUsed))
	if run.Spec.State != "" && run.Spec.State != placementv1beta1.StateRun {
		field("Requested state", string(run.Spec.State))
	}
	state, final, c := runState(run)
	line := state
	if c != nil {
		line += t.since(c.LastTransitionTime, final)
		if c.Reason != "" {
			line += " (" + c.Reason + ")"
		}
	}
	field("State", line)
	if c != nil && c.Message != "" {
		field("Message", c.Message)
	}
}

// runState sums up the run's Initialized, Progressing and Succeeded
// conditions in one word, whether that state is final, and the condition
// that says so.
func runState(run *placementv1beta1.ClusterStagedUpdateRun) (string, bool, *metav1.Condition) {
	conds := run.Status.Conditions
	initialized := meta.FindStatusCondition(conds, string(placementv1beta1.StagedUpdateRunConditionInitialized))
	progressing := meta.FindStatusCondition(conds, string(placementv1beta1.StagedUpdateRunConditionProgressing))
	succeeded := meta.FindStatusCondition(conds, string(placementv1beta1.StagedUpdateRunConditionSucceeded))
	switch {
	case initialized == nil:
		return "Pending", false, nil
	case initialized.Status == metav1.ConditionFalse:
		return "Failed to initialize", true, initialized
	case initialized.Status == metav1.ConditionUnknown:
		return "Initializing", false, initialized
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue:
		return "Succeeded", true, succeeded
	case succeeded != nil && succeeded.Status == metav1.ConditionFalse:
		return "Failed", true, succeeded
	case progressing == nil:
		return "Initialized", true, initialized
	case progressing.Status == metav1.ConditionTrue:
		return "Progressing", false, progressing
	case progressing.Status == metav1.ConditionUnknown:
		return "Stopping", false, progressing
	}
	switch progressing.Reason {
	case placementv1beta1.UpdateRunWaitingReason:
		return "Waiting", false, progressing
	case placementv1beta1.UpdateRunStuckReason:
		return "Stuck", false, progressing
	case placementv1beta1.UpdateRunStoppedReason:
		return "Stopped", false, progressing
	}
	return "Not progressing", false, progressing
}

func (t *statusTree) rows() []treeRow {
	var rows []treeRow
	for i := range t.run.Status.StagesStatus {
		rows = append(rows, t.stageRows(&t.run.Status.StagesStatus[i], false)...)
	}
	if s := t.run.Status.DeletionStageStatus; s != nil {
		rows = append(rows, t.stageRows(s, true)...)
	}
	return rows
}

// stageRows renders a stage and, below it, its before-stage tasks, its
// clusters in update order and its after-stage tasks.
func (t *statusTree) stageRows(s *placementv1beta1.StageUpdatingStatus, deletion bool) []treeRow {
	label := s.StageName
	if deletion {
		label = deletionStageLabel
	}
	state, message := stageState(s, deletion)
	var details []string
	if s.StartTime != nil {
		details = append(details, "started "+t.ago(s.StartTime.Time))
	}
	if s.EndTime != nil {
		details = append(details, "ended "+t.ago(s.EndTime.Time))
	}
	if len(s.Clusters) == 0 && state != "Skipped" {
		if deletion {
			details = append(details, "no clusters to remove")
		} else {
			details = append(details, "no clusters")
		}
	}
	detail := strings.Join(details, ", ")
	if message != "" && detail != "" {
		detail += "; " + message
	} else if message != "" {
		detail = message
	}
	rows := []treeRow{{label: label, state: state, age: t.age(latestTransition(s.Conditions)), details: detail}}

	var children []treeRow
	for i := range s.BeforeStageTaskStatus {
		children = append(children, t.taskRow(s, &s.BeforeStageTaskStatus[i], "before"))
	}
	for i := range s.Clusters {
		children = append(children, t.clusterRow(&s.Clusters[i], deletion))
	}
	for i := range s.AfterStageTaskStatus {
		children = append(children, t.taskRow(s, &s.AfterStageTaskStatus[i], "after"))
	}
	for i, c := range children {
		if i == len(children)-1 {
			c.label = "└─ " + c.label
		} else {
			c.label = "├─ " + c.label
		}
		rows = append(rows, c)
	}
	return rows
}

// stageState reads a stage's Progressing and Succeeded conditions, and
// returns the message worth showing with that state.
func stageState(s *placementv1beta1.StageUpdatingStatus, deletion bool) (string, string) {
	progressing := meta.FindStatusCondition(s.Conditions, string(placementv1beta1.StageUpdatingConditionProgressing))
	succeeded := meta.FindStatusCondition(s.Conditions, string(placementv1beta1.StageUpdatingConditionSucceeded))
	switch {
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue && succeeded.Reason == placementv1beta1.StageUpdatingSkippedNoClustersReason:
		return "Skipped", "no clusters"
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue:
		return "Succeeded", ""
	case succeeded != nil && succeeded.Status == metav1.ConditionFalse:
		return "Failed", succeeded.Message
	case progressing == nil:
		return "Not started", ""
	case progressing.Status == metav1.ConditionTrue && deletion:
		return "Removing", ""
	case progressing.Status == metav1.ConditionTrue:
		return "Updating", ""
	case progressing.Status == metav1.ConditionUnknown:
		return "Stopping", progressing.Message
	case progressing.Reason == placementv1beta1.StageUpdatingStoppedReason:
		return "Stopped", progressing.Message
	case progressing.Reason == placementv1beta1.StageUpdatingWaitingReason:
		return "Waiting", ""
	}
	return progressing.Reason, progressing.Message
}

// clusterRow renders a cluster from its Started and Succeeded conditions; in
// the deletion stage, updating means removing the placement from it.
func (t *statusTree) clusterRow(c *placementv1beta1.ClusterUpdatingStatus, deletion bool) treeRow {
	r := treeRow{label: c.ClusterName, age: t.age(latestTransition(c.Conditions))}
	started := meta.IsStatusConditionTrue(c.Conditions, string(placementv1beta1.ClusterUpdatingConditionStarted))
	succeeded := meta.FindStatusCondition(c.Conditions, string(placementv1beta1.ClusterUpdatingConditionSucceeded))
	switch {
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue && succeeded.Reason == placementv1beta1.ClusterUpdatingSkippedReason:
		r.state, r.details = "Skipped", succeeded.Message
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue && deletion:
		r.state = "Removed"
	case succeeded != nil && succeeded.Status == metav1.ConditionTrue:
		r.state = "Succeeded"
	case succeeded != nil && succeeded.Status == metav1.ConditionFalse:
		r.state, r.details = "Failed", succeeded.Message
	case started && deletion:
		r.state = "Removing"
	case started:
		r.state = "Updating"
	default:
		r.state = "Waiting"
	}
	return r
}

func (t *statusTree) taskRow(s *placementv1beta1.StageUpdatingStatus, ts *placementv1beta1.StageTaskStatus, when string) treeRow {
	if ts.Type == placementv1beta1.StageTaskTypeTimedWait {
		return t.timedWaitRow(s, ts, when)
	}
	return t.approvalRow(ts, when)
}

// timedWaitRow shows how long a TimedWait has left, or how long ago it
// elapsed. A waiting task's WaitTimeElapsed condition turned False when
// the wait began.
func (t *statusTree) timedWaitRow(s *placementv1beta1.StageUpdatingStatus, ts *placementv1beta1.StageTaskStatus, when string) treeRow {
	wait, known := t.waitTime(s.StageName)
	r := treeRow{label: when + ": TimedWait"}
	if known {
		r.label += " " + shortDuration(wait)
	}
	c := meta.FindStatusCondition(ts.Conditions, string(placementv1beta1.StageTaskConditionWaitTimeElapsed))
	switch {
	case c == nil:
		r.state = "Not started"
	case c.Status == metav1.ConditionTrue:
		r.state, r.age = "Elapsed", t.age(c.LastTransitionTime)
	default:
		r.state, r.age = "Waiting", t.age(c.LastTransitionTime)
		if known && !c.LastTransitionTime.IsZero() {
			left := max(wait-t.now.Sub(c.LastTransitionTime.Time), 0)
			r.details = duration.HumanDuration(left) + " left"
		}
	}
	return r
}

// waitTime returns the TimedWait of a stage from the strategy the run copied
// at initialization.
func (t *statusTree) waitTime(stage string) (time.Duration, bool) {
	strategy := t.run.Status.UpdateStrategySnapshot
	if strategy == nil {
		return 0, false
	}
	for _, cfg := range strategy.Stages {
		if cfg.Name != stage {
			continue
		}
		for _, task := range cfg.AfterStageTasks {
			if task.Type == placementv1beta1.StageTaskTypeTimedWait && task.WaitTime != nil {
				return task.WaitTime.Duration, true
			}
		}
	}
	return 0, false
}

// approvalRow follows an approval from the run's task conditions and, when
// it could be read, the request itself: Pending (not requested yet),
// Waiting (for a person), Approved (not yet accepted by the run), Accepted.
func (t *statusTree) approvalRow(ts *placementv1beta1.StageTaskStatus, when string) treeRow {
	name := ts.ApprovalRequestName
	r := treeRow{label: when + ": Approval", details: name}
	created := meta.FindStatusCondition(ts.Conditions, string(placementv1beta1.StageTaskConditionApprovalRequestCreated))
	accepted := meta.FindStatusCondition(ts.Conditions, string(placementv1beta1.StageTaskConditionApprovalRequestApproved))
	req := t.requests[name]
	var approved *metav1.Condition
	if req != nil {
		if c := meta.FindStatusCondition(req.Status.Conditions, string(placementv1beta1.ApprovalRequestConditionApproved)); c != nil &&
			c.Status == metav1.ConditionTrue && c.ObservedGeneration == req.Generation {
			approved = c
		}
	}
	switch {
	case accepted != nil && accepted.Status == metav1.ConditionTrue:
		r.state, r.age = "Accepted", t.age(accepted.LastTransitionTime)
		if approved != nil && approved.Message != "" {
			r.details += ": " + approved.Message
		}
	case approved != nil:
		r.state, r.age = "Approved", t.age(approved.LastTransitionTime)
		r.details += ": not accepted by the run yet"
		if approved.Message != "" {
			r.details += "; " + approved.Message
		}
	case req != nil || (created != nil && created.Status == metav1.ConditionTrue):
		r.state = "Waiting"
		if created != nil {
			r.age = t.age(created.LastTransitionTime)
		}
		r.details += ": kubectl fleet approve " + name
	default:
		r.state, r.details = "Pending", name+": not requested yet"
	}
	return r
}

// age is the time since ts, or "" when ts is not set.
func (t *statusTree) age(ts metav1.Time) string {
	if ts.IsZero() {
		return ""
	}
	return duration.HumanDuration(t.now.Sub(ts.Time))
}

func (t *statusTree) ago(ts time.Time) string {
	return duration.HumanDuration(t.now.Sub(ts)) + " ago"
}

// since says how long a state has lasted, or when a final state was reached.
func (t *statusTree) since(ts metav1.Time, final bool) string {
	switch {
	case ts.IsZero():
		return ""
	case final:
		return " " + t.ago(ts.Time)
	}
	return " for " + duration.HumanDuration(t.now.Sub(ts.Time))
}

// latestTransition is the last time any of conds changed status.
func latestTransition(conds []metav1.Condition) metav1.Time {
	var latest metav1.Time
	for _, c := range conds {
		if c.LastTransitionTime.After(latest.Time) {
			latest = c.LastTransitionTime
		}
	}
	return latest
}

// shortDuration writes a wait time as a user would: 1m, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
