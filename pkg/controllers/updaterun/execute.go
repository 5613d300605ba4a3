package updaterun

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/batch"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
	"github.com/flotilla-dev/flotilla/pkg/util/condition"
)

// fleet is what a pass reads about the run's clusters.
type fleet struct {
	// bindings are the placement's bindings that are not being deleted, by cluster.
	bindings map[string]*placementv1beta1.ClusterResourceBinding
	// deleting are the placement's bindings being deleted, by cluster.
	deleting map[string]*placementv1beta1.ClusterResourceBinding
	// members are the member clusters, by name.
	members map[string]*clusterv1beta1.MemberCluster
}

func (p *pass) readFleet(ctx context.Context) (*fleet, error) {
	f := &fleet{
		bindings: map[string]*placementv1beta1.ClusterResourceBinding{},
		deleting: map[string]*placementv1beta1.ClusterResourceBinding{},
		members:  map[string]*clusterv1beta1.MemberCluster{},
	}
	// The bindings are not copied out of the cache either: a pass writes
	// few of them, and startCluster copies the one it changes.
	bindings := &placementv1beta1.ClusterResourceBindingList{}
	if err := p.r.client.List(ctx, bindings, cacheindex.InPlacement(p.run.Spec.PlacementName), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing bindings of %q: %w", p.run.Spec.PlacementName, err)
	}
	for i := range bindings.Items {
		b := &bindings.Items[i]
		if b.DeletionTimestamp.IsZero() {
			f.bindings[b.Spec.TargetCluster] = b
		} else {
			f.deleting[b.Spec.TargetCluster] = b
		}
	}
	// A pass only reads the members (have they left, are they healthy), so
	// they are not copied out of the cache.
	members := &clusterv1beta1.MemberClusterList{}
	if err := p.r.client.List(ctx, members, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing member clusters: %w", err)
	}
	for i := range members.Items {
		f.members[members.Items[i].Name] = &members.Items[i]
	}
	return f, nil
}

// leftReason says why a cluster of the run no longer takes part, or "".
// The run's cluster set is fixed at initialization: a cluster that leaves
// the fleet, or that the placement lets go, is skipped rather than failing
// the run.
func (f *fleet) leftReason(cluster string) string {
	mc := f.members[cluster]
	switch b := f.bindings[cluster]; {
	case mc == nil:
		return fmt.Sprintf("member cluster %q left the fleet during the run", cluster)
	case !mc.DeletionTimestamp.IsZero():
		return fmt.Sprintf("member cluster %q is leaving the fleet", cluster)
	case b == nil:
		return fmt.Sprintf("cluster %q has no binding any more; its placement no longer picks it", cluster)
	case b.Spec.State == placementv1beta1.BindingStateUnscheduled:
		return fmt.Sprintf("the placement no longer picks cluster %q (binding %q is Unscheduled)", cluster, b.Name)
	}
	return ""
}

// healthProblem says why a cluster's member cluster is not healthy, or "":
// an agent that cannot reach its API server explains a stuck cluster.
func (f *fleet) healthProblem(cluster string) string {
	mc := f.members[cluster]
	if mc == nil {
		return ""
	}
	c := meta.FindStatusCondition(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy))
	if c == nil || c.Status == metav1.ConditionTrue {
		return ""
	}
	return fmt.Sprintf("member cluster %s is %s=%s: %s: %s", cluster, c.Type, c.Status, c.Reason, c.Message)
}

// execute drives the run in its state: Run (or no state) moves stage after
// stage, Stop lets the clusters in flight finish and starts nothing,
// Initialize does nothing more.
func (p *pass) execute(ctx context.Context) error {
	state := p.run.Spec.State
	if state == placementv1beta1.StateInitialize {
		return nil
	}
	if _, err := p.r.getExternalPlacement(ctx, p.run); err != nil {
		return err
	}
	f, err := p.readFleet(ctx)
	if err != nil {
		return err
	}
	stop := state == placementv1beta1.StateStop
	strategy := p.run.Status.UpdateStrategySnapshot
	if strategy == nil || len(strategy.Stages) != len(p.run.Status.StagesStatus) || p.run.Status.DeletionStageStatus == nil {
		return fail("the run's recorded stages do not match its strategy snapshot; the status was edited by hand, create a new run")
	}

	for i := range p.run.Status.StagesStatus {
		s := &p.run.Status.StagesStatus[i]
		if stageFinished(s) {
			continue
		}
		done, err := p.executeStage(ctx, f, &strategy.Stages[i], s, stop)
		if err != nil || !done {
			return err
		}
	}
	done, err := p.executeDeletionStage(ctx, f, stop)
	if err != nil || !done {
		return err
	}
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason, "")
	p.setRun(placementv1beta1.StagedUpdateRunConditionSucceeded, metav1.ConditionTrue, placementv1beta1.UpdateRunSucceededReason, "")
	p.normal("Succeeded", "All stages are completed; resource snapshot index %s runs on every cluster of the run", p.run.Status.ResourceSnapshotIndexUsed)
	return nil
}

func (p *pass) setStage(s *placementv1beta1.StageUpdatingStatus, t placementv1beta1.StageUpdatingConditionType, status metav1.ConditionStatus, reason, message string) {
	set(&s.Conditions, string(t), status, reason, message, p.run.Generation)
}

// setCluster stamps a transition with the run's clock, not the wall clock:
// the stuck threshold is measured from Started with that clock.
func (p *pass) setCluster(c *placementv1beta1.ClusterUpdatingStatus, t placementv1beta1.ClusterUpdatingStatusConditionType, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&c.Conditions, metav1.Condition{
		Type: string(t), Status: status, Reason: reason, Message: message, ObservedGeneration: p.run.Generation,
		LastTransitionTime: metav1.NewTime(p.now),
	})
}

// executeStage takes one update stage as far as it can go; it reports true
// once the stage has succeeded and the next one may begin.
func (p *pass) executeStage(ctx context.Context, f *fleet, cfg *placementv1beta1.StageConfig, s *placementv1beta1.StageUpdatingStatus, stop bool) (bool, error) {
	if stop {
		p.stopStage(f, s)
		return false, nil
	}

	// A stage without clusters has nothing to gate.
	if len(s.Clusters) == 0 {
		msg := "Stage skipped because it has no clusters"
		p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingSkippedNoClustersReason, msg)
		p.setStage(s, placementv1beta1.StageUpdatingConditionSucceeded, metav1.ConditionTrue, placementv1beta1.StageUpdatingSkippedNoClustersReason, msg)
		p.normal("StageSkipped", "Stage %q has no clusters and was skipped", s.StageName)
		return true, nil
	}

	// A before-stage approval gates the first cluster.
	if s.StartTime == nil {
		for i := range s.BeforeStageTaskStatus {
			approved, err := p.approve(ctx, s, &s.BeforeStageTaskStatus[i], true)
			if err != nil || !approved {
				if err == nil {
					p.waiting(s, fmt.Sprintf("waiting for ClusterApprovalRequest %q before the stage starts", s.BeforeStageTaskStatus[i].ApprovalRequestName))
				}
				return false, err
			}
		}
	}

	limit, err := maxConcurrency(cfg, len(s.Clusters))
	if err != nil {
		return false, err
	}
	index, err := strconv.Atoi(p.run.Status.ResourceSnapshotIndexUsed)
	if err != nil {
		return false, fail("the run's resourceSnapshotIndexUsed %q is not an index; the status was edited by hand, create a new run", p.run.Status.ResourceSnapshotIndexUsed)
	}
	target := fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, p.run.Spec.PlacementName, index)

	// Clusters in flight first: each one that finishes frees a slot.
	inFlight := 0
	var stuck []string
	for i := range s.Clusters {
		c := &s.Clusters[i]
		if clusterFinished(c) || !clusterStarted(c) {
			continue
		}
		if why := f.leftReason(c.ClusterName); why != "" {
			p.skip(c, why)
			continue
		}
		b := f.bindings[c.ClusterName]
		if !p.specInSync(b, target) {
			if err := p.confirmPreempted(ctx, b, target, c, s); err != nil {
				return false, err
			}
			inFlight++
			continue // the cache had not seen our own write yet
		}
		if heldBack(b) {
			if _, err := p.startCluster(ctx, b, target); err != nil {
				return false, err
			}
			inFlight++
			continue
		}
		if ok, cause := p.result(b); ok {
			p.succeed(c)
		} else if p.isStuck(c) {
			stuck = append(stuck, describeStuck(c.ClusterName, cause, f.healthProblem(c.ClusterName)))
			inFlight++
		} else {
			inFlight++
		}
	}

	// Then start clusters, in stage order, while slots are free. A cluster
	// already on the snapshot (a rollback to the version it runs) starts and
	// succeeds at once, without a write, and takes no slot; the bindings of
	// the others are written together (startClusters).
	var starting []*placementv1beta1.ClusterUpdatingStatus
	for i := range s.Clusters {
		c := &s.Clusters[i]
		if clusterFinished(c) || clusterStarted(c) {
			continue
		}
		if why := f.leftReason(c.ClusterName); why != "" {
			p.skip(c, why)
			continue
		}
		if inFlight >= limit {
			break
		}
		if b := f.bindings[c.ClusterName]; p.specInSync(b, target) && !heldBack(b) {
			if ok, _ := p.result(b); ok {
				p.started(s, c, limit)
				p.succeed(c)
				continue
			}
		}
		starting = append(starting, c)
		inFlight++
	}
	written, err := p.startClusters(ctx, f, starting, target)
	for j, c := range starting {
		b := written[j]
		if b == nil {
			continue // not started: its write failed or was not tried
		}
		p.started(s, c, limit)
		if ok, _ := p.result(b); ok {
			p.succeed(c)
			continue
		}
		p.wakeAfter(p.r.stuckThreshold)
	}
	if err != nil {
		return false, err
	}

	for i := range s.Clusters {
		if !clusterFinished(&s.Clusters[i]) {
			if s.StartTime != nil {
				p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason, "")
			}
			if len(stuck) > 0 {
				p.stuck(s, stuck)
			} else {
				p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason, "")
			}
			return false, nil
		}
	}
	return p.afterStage(ctx, s, cfg)
}

// afterStage runs the after-stage tasks of a stage whose clusters are all
// done; they run in parallel and all must pass.
func (p *pass) afterStage(ctx context.Context, s *placementv1beta1.StageUpdatingStatus, cfg *placementv1beta1.StageConfig) (bool, error) {
	progressing := meta.FindStatusCondition(s.Conditions, string(placementv1beta1.StageUpdatingConditionProgressing))
	if progressing != nil && progressing.Reason == placementv1beta1.StageUpdatingStartedReason && s.StartTime != nil {
		stageDuration.WithLabelValues(p.run.Namespace, p.run.Name).Observe(p.now.Sub(s.StartTime.Time).Seconds())
	}
	p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingWaitingReason, "")

	passed := true
	var waitingFor []string
	for i := range s.AfterStageTaskStatus {
		ts := &s.AfterStageTaskStatus[i]
		switch ts.Type {
		case placementv1beta1.StageTaskTypeTimedWait:
			if !p.timedWait(ts, taskWaitTime(cfg, ts.Type)) {
				passed = false
				waitingFor = append(waitingFor, "a timed wait")
			}
		case placementv1beta1.StageTaskTypeApproval:
			approved, err := p.approve(ctx, s, ts, false)
			if err != nil {
				return false, err
			}
			if !approved {
				passed = false
				waitingFor = append(waitingFor, fmt.Sprintf("ClusterApprovalRequest %q", ts.ApprovalRequestName))
			}
		}
	}
	if !passed {
		p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason,
			fmt.Sprintf("All clusters in stage %q are updated; waiting for %s", s.StageName, strings.Join(waitingFor, " and ")))
		return false, nil
	}
	p.setStage(s, placementv1beta1.StageUpdatingConditionSucceeded, metav1.ConditionTrue, placementv1beta1.StageUpdatingSucceededReason, "")
	s.EndTime = &metav1.Time{Time: p.now}
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionTrue, placementv1beta1.UpdateRunStartedReason, "")
	p.normal("StageSucceeded", "Stage %q succeeded", s.StageName)
	return true, nil
}

// waiting reports a stage held by a before-stage approval.
func (p *pass) waiting(s *placementv1beta1.StageUpdatingStatus, what string) {
	p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingWaitingReason, "")
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, placementv1beta1.UpdateRunWaitingReason,
		fmt.Sprintf("Stage %q is %s", s.StageName, what))
}

// stuck reports clusters that did not finish within the threshold.
func (p *pass) stuck(s *placementv1beta1.StageUpdatingStatus, clusters []string) {
	msg := fmt.Sprintf("The update run is stuck waiting for %d cluster(s) in stage %q to finish updating: %s; check the bindings' and the placement's status for errors",
		len(clusters), s.StageName, strings.Join(clusters, "; "))
	if c := meta.FindStatusCondition(p.run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionProgressing)); c == nil || c.Reason != placementv1beta1.UpdateRunStuckReason || c.Message != msg {
		p.warning("Stuck", "%s", msg)
	}
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, placementv1beta1.UpdateRunStuckReason, msg)
}

// describeStuck names a stuck cluster with what its binding and its member
// cluster's health say, if anything.
func describeStuck(cluster string, causes ...string) string {
	causes = slices.DeleteFunc(causes, func(c string) bool { return c == "" })
	if len(causes) == 0 {
		return cluster
	}
	return fmt.Sprintf("%s (%s)", cluster, strings.Join(causes, "; "))
}

// isStuck reports whether a started cluster has taken longer than the
// threshold, and sets a timer for when it will have otherwise.
func (p *pass) isStuck(c *placementv1beta1.ClusterUpdatingStatus) bool {
	started := meta.FindStatusCondition(c.Conditions, string(placementv1beta1.ClusterUpdatingConditionStarted))
	elapsed := p.now.Sub(started.LastTransitionTime.Time)
	if elapsed >= p.r.stuckThreshold {
		return true
	}
	p.wakeAfter(p.r.stuckThreshold - elapsed)
	return false
}

func (p *pass) succeed(c *placementv1beta1.ClusterUpdatingStatus) {
	p.setCluster(c, placementv1beta1.ClusterUpdatingConditionSucceeded, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSucceededReason, "")
}

func (p *pass) skip(c *placementv1beta1.ClusterUpdatingStatus, why string) {
	p.setCluster(c, placementv1beta1.ClusterUpdatingConditionSucceeded, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingSkippedReason, why)
	p.warning("ClusterSkipped", "Skipped cluster %q: %s", c.ClusterName, why)
}

// specInSync reports whether a binding is bound to the run's snapshot with
// the run's apply strategy.
func (p *pass) specInSync(b *placementv1beta1.ClusterResourceBinding, target string) bool {
	return b.Spec.State == placementv1beta1.BindingStateBound &&
		b.Spec.ResourceSnapshotName == target &&
		equality.Semantic.DeepEqual(b.Spec.ApplyStrategy, p.run.Status.ApplyStrategy)
}

// heldBack reports whether RolloutStarted is False at the binding's
// generation: a rollout controller held the binding back before its
// placement's strategy became External, and the work generator goes by that
// until a run says otherwise.
func heldBack(b *placementv1beta1.ClusterResourceBinding) bool {
	started := b.GetCondition(string(placementv1beta1.ResourceBindingRolloutStarted))
	return started != nil && started.Status == metav1.ConditionFalse && started.ObservedGeneration == b.Generation
}

// confirmPreempted fails the run when another run moved a binding this run
// is updating. The binding is read from the API server first: the cache may
// simply not show this run's own write yet.
func (p *pass) confirmPreempted(ctx context.Context, b *placementv1beta1.ClusterResourceBinding, target string, c *placementv1beta1.ClusterUpdatingStatus, s *placementv1beta1.StageUpdatingStatus) error {
	fresh := &placementv1beta1.ClusterResourceBinding{}
	if err := p.r.apiReader.Get(ctx, client.ObjectKeyFromObject(b), fresh); err != nil {
		return fmt.Errorf("getting ClusterResourceBinding %q: %w", b.Name, err)
	}
	if p.specInSync(fresh, target) || fresh.ResourceVersion != b.ResourceVersion {
		return nil // the cache is behind; its next event brings us back
	}
	msg := fmt.Sprintf("the binding of the updating cluster `%s` in the stage `%s` is not up-to-date with the desired status, please check the status of binding `%s` and see if there is a concurrent updateRun referencing the same placement and updating the same cluster",
		c.ClusterName, s.StageName, b.Name)
	p.setCluster(c, placementv1beta1.ClusterUpdatingConditionSucceeded, metav1.ConditionFalse, placementv1beta1.ClusterUpdatingFailedReason, msg)
	return fail("%s", msg)
}

// maxStartBatch caps the binding writes a pass has in flight at once.
const maxStartBatch = 16

// startClusters starts the clusters of a wave with startCluster, their
// bindings written in slow-start batches (see batch.SlowStart): a wave of
// 35 clusters takes 6 round trips instead of 35, and one whose writes fail
// stops at the first. It returns the binding of each cluster as it now
// stands, nil for the clusters not started, with the errors of the writes
// that failed.
func (p *pass) startClusters(ctx context.Context, f *fleet, clusters []*placementv1beta1.ClusterUpdatingStatus, target string) ([]*placementv1beta1.ClusterResourceBinding, error) {
	written := make([]*placementv1beta1.ClusterResourceBinding, len(clusters))
	err := batch.SlowStart(len(clusters), maxStartBatch, func(i int) error {
		b, err := p.startCluster(ctx, f.bindings[clusters[i].ClusterName], target)
		written[i] = b
		return err
	})
	return written, err
}

// started records that a cluster of stage s started, and the stage with
// its first cluster.
func (p *pass) started(s *placementv1beta1.StageUpdatingStatus, c *placementv1beta1.ClusterUpdatingStatus, limit int) {
	if s.StartTime == nil {
		s.StartTime = &metav1.Time{Time: p.now}
		p.normal("StageStarted", "Stage %q started updating %d cluster(s), %d at a time", s.StageName, len(s.Clusters), limit)
	}
	p.setCluster(c, placementv1beta1.ClusterUpdatingConditionStarted, metav1.ConditionTrue, placementv1beta1.ClusterUpdatingStartedReason, "")
	p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionTrue, placementv1beta1.StageUpdatingStartedReason, "")
}

// startCluster binds a cluster to the run's snapshot, naming the run in
// the binding's annotation. Under the External strategy the binding is the
// decision: the work generator writes the Works, and RolloutStarted True at
// the binding's new generation with its status. Only a binding held back
// with RolloutStarted False at its generation needs that written here. The
// cached binding stays as it is: what is written is a copy, and startCluster
// returns the binding as it now stands.
func (p *pass) startCluster(ctx context.Context, cached *placementv1beta1.ClusterResourceBinding, target string) (*placementv1beta1.ClusterResourceBinding, error) {
	if !p.specInSync(cached, target) {
		b := cached.DeepCopy()
		b.Spec.State = placementv1beta1.BindingStateBound
		b.Spec.ResourceSnapshotName = target
		b.Spec.ApplyStrategy = p.run.Status.ApplyStrategy.DeepCopy()
		metav1.SetMetaDataAnnotation(&b.ObjectMeta, placementv1beta1.BindingUpdateRunAnnotation, p.run.Name)
		if err := p.r.client.Update(ctx, b); err != nil {
			return nil, fmt.Errorf("binding cluster %q to %q: %w", b.Spec.TargetCluster, target, err)
		}
		return b, nil
	}
	if !heldBack(cached) {
		return cached, nil
	}
	b := cached.DeepCopy()
	meta.RemoveStatusCondition(&b.Status.Conditions, string(placementv1beta1.ResourceBindingRolloutStarted))
	meta.SetStatusCondition(&b.Status.Conditions, condition.RolloutStartedByRun(b.Generation, p.run.Status.ResourceSnapshotIndexUsed, p.run.Name))
	if err := p.r.client.Status().Update(ctx, b); err != nil {
		return nil, fmt.Errorf("marking the rollout of ClusterResourceBinding %q started: %w", b.Name, err)
	}
	return b, nil
}

// inProgressReasons are binding condition reasons that mean "not yet", not "failed".
var inProgressReasons = map[string]bool{
	placementv1beta1.BindingOverriddenPendingReason:       true,
	placementv1beta1.BindingWorkNotSynchronizedYetReason:  true,
	placementv1beta1.BindingApplyPendingReason:            true,
	placementv1beta1.BindingApplyInProgressReason:         true,
	placementv1beta1.BindingResourceNotAvailableYetReason: true,
	placementv1beta1.BindingNotAllWorkAvailableReason:     true,
	placementv1beta1.BindingDiffReportInProgressReason:    true,
}

// result reports whether a cluster's binding shows the rollout done (Available,
// or DiffReported for ReportDiff, at the binding's generation) and, if not,
// the cause when a condition reports a failure.
func (p *pass) result(b *placementv1beta1.ClusterResourceBinding) (bool, string) {
	done := placementv1beta1.ResourceBindingAvailable
	if s := p.run.Status.ApplyStrategy; s != nil && s.Type == placementv1beta1.ApplyStrategyTypeReportDiff {
		done = placementv1beta1.ResourceBindingDiffReported
	}
	if c := b.GetCondition(string(done)); c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == b.Generation {
		return true, ""
	}
	for _, t := range []placementv1beta1.ResourceBindingConditionType{
		placementv1beta1.ResourceBindingOverridden, placementv1beta1.ResourceBindingWorkSynchronized,
		placementv1beta1.ResourceBindingApplied, placementv1beta1.ResourceBindingAvailable, placementv1beta1.ResourceBindingDiffReported,
	} {
		c := b.GetCondition(string(t))
		if c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == b.Generation && !inProgressReasons[c.Reason] {
			return false, fmt.Sprintf("%s: %s", c.Reason, c.Message)
		}
	}
	return false, ""
}

// timedWait reports whether a TimedWait task has waited long enough. Its
// WaitTimeElapsed condition turns False when the wait starts and keeps that
// time through stops and restarts.
func (p *pass) timedWait(ts *placementv1beta1.StageTaskStatus, wait time.Duration) bool {
	t := string(placementv1beta1.StageTaskConditionWaitTimeElapsed)
	if isTrue(ts.Conditions, t) {
		return true
	}
	c := meta.FindStatusCondition(ts.Conditions, t)
	start := p.now
	if c != nil {
		start = c.LastTransitionTime.Time
	}
	if remaining := wait - p.now.Sub(start); remaining > 0 {
		set(&ts.Conditions, t, metav1.ConditionFalse, placementv1beta1.AfterStageTaskWaitingReason,
			fmt.Sprintf("Waiting %s, until %s", wait, start.Add(wait).UTC().Format(time.RFC3339)), p.run.Generation)
		if c == nil {
			// A fresh condition is stamped now; keep the exact start.
			meta.FindStatusCondition(ts.Conditions, t).LastTransitionTime = metav1.NewTime(start)
		}
		p.wakeAfter(remaining)
		return false
	}
	set(&ts.Conditions, t, metav1.ConditionTrue, placementv1beta1.AfterStageTaskWaitTimeElapsedReason, "", p.run.Generation)
	return true
}

// taskWaitTime returns the waitTime of a stage's task of the given type.
func taskWaitTime(cfg *placementv1beta1.StageConfig, t placementv1beta1.StageTaskType) time.Duration {
	for _, task := range cfg.AfterStageTasks {
		if task.Type == t && task.WaitTime != nil {
			return task.WaitTime.Duration
		}
	}
	return 0
}

// stopStage lets the clusters in flight finish and starts nothing new.
func (p *pass) stopStage(f *fleet, s *placementv1beta1.StageUpdatingStatus) {
	inFlight := 0
	var stuck []string
	for i := range s.Clusters {
		c := &s.Clusters[i]
		if clusterFinished(c) || !clusterStarted(c) {
			continue
		}
		if why := f.leftReason(c.ClusterName); why != "" {
			p.skip(c, why)
			continue
		}
		if ok, cause := p.result(f.bindings[c.ClusterName]); ok {
			p.succeed(c)
		} else {
			inFlight++
			if p.isStuck(c) {
				stuck = append(stuck, describeStuck(c.ClusterName, cause, f.healthProblem(c.ClusterName)))
			}
		}
	}
	if inFlight > 0 {
		p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionUnknown, placementv1beta1.StageUpdatingStoppingReason,
			"Waiting for the updating clusters to finish before the stage stops")
		if len(stuck) > 0 {
			p.stuck(s, stuck)
			return
		}
		p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionUnknown, placementv1beta1.UpdateRunStoppingReason,
			fmt.Sprintf("The update run is stopping; waiting for %d updating cluster(s) in stage %q to finish", inFlight, s.StageName))
		return
	}
	p.setStage(s, placementv1beta1.StageUpdatingConditionProgressing, metav1.ConditionFalse, placementv1beta1.StageUpdatingStoppedReason,
		"The stage is stopped; set the run's state to Run to resume")
	p.stopped()
}

// stopped reports a run that has come to a stop.
func (p *pass) stopped() {
	if c := meta.FindStatusCondition(p.run.Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionProgressing)); c == nil || c.Reason != placementv1beta1.UpdateRunStoppedReason {
		p.normal("Stopped", "The update run has stopped")
	}
	p.setRun(placementv1beta1.StagedUpdateRunConditionProgressing, metav1.ConditionFalse, placementv1beta1.UpdateRunStoppedReason, "The update run has been stopped")
}
