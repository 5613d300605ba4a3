package updaterun

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

// waitError means initialization cannot finish yet but will once the hub
// catches up (a snapshot being written, the scheduler still deciding). The
// watches on those objects bring the run back.
type waitError struct {
	msg string
}

func (e *waitError) Error() string { return e.msg }

func waitFor(format string, args ...any) error {
	return &waitError{msg: fmt.Sprintf(format, args...)}
}

// defaultApplyStrategy fills what the placement leaves out, as the member
// agent reads it.
func defaultApplyStrategy(s *placementv1beta1.ApplyStrategy) *placementv1beta1.ApplyStrategy {
	out := &placementv1beta1.ApplyStrategy{}
	if s != nil {
		out = s.DeepCopy()
	}
	if out.Type == "" {
		out.Type = placementv1beta1.ApplyStrategyTypeClientSideApply
	}
	if out.ComparisonOption == "" {
		out.ComparisonOption = placementv1beta1.ComparisonOptionTypePartialComparison
	}
	if out.WhenToApply == "" {
		out.WhenToApply = placementv1beta1.WhenToApplyTypeAlways
	}
	if out.WhenToTakeOver == "" {
		out.WhenToTakeOver = placementv1beta1.WhenToTakeOverTypeAlways
	}
	return out
}

// getExternalPlacement returns the run's placement, which must exist and
// leave its rollout to update runs. The placement is the cache's own, not
// a copy (its status lists every cluster, and every pass reads it): read
// it, never change it.
func (r *Reconciler) getExternalPlacement(ctx context.Context, run *placementv1beta1.ClusterStagedUpdateRun) (*placementv1beta1.ClusterResourcePlacement, error) {
	crp := &placementv1beta1.ClusterResourcePlacement{}
	err := r.client.Get(ctx, types.NamespacedName{Name: run.Spec.PlacementName}, crp, client.UnsafeDisableDeepCopy)
	if apierrors.IsNotFound(err) {
		return nil, fail("ClusterResourcePlacement %q does not exist; set placementName to an existing placement", run.Spec.PlacementName)
	}
	if err != nil {
		return nil, fmt.Errorf("getting ClusterResourcePlacement %q: %w", run.Spec.PlacementName, err)
	}
	if crp.Spec.Strategy.Type != placementv1beta1.ExternalRolloutStrategyType {
		t := crp.Spec.Strategy.Type
		if t == "" {
			t = placementv1beta1.RollingUpdateRolloutStrategyType
		}
		return nil, fail("ClusterResourcePlacement %q has rollout strategy %s; update runs only roll out placements with spec.strategy.type External", crp.Name, t)
	}
	return crp, nil
}

// initialize resolves everything the run will work from and records it in
// the run's status: the placement's apply strategy, the latest policy
// snapshot, the clusters in each stage (fixed from now on), the clusters to
// remove, the strategy snapshot and the resource snapshot index.
func (r *Reconciler) initialize(ctx context.Context, run *placementv1beta1.ClusterStagedUpdateRun) error {
	crp, err := r.getExternalPlacement(ctx, run)
	if err != nil {
		return err
	}
	status := &run.Status
	status.ApplyStrategy = defaultApplyStrategy(crp.Spec.Strategy.ApplyStrategy)

	policySnapshot, err := r.latestPolicySnapshot(ctx, crp.Name)
	if err != nil {
		return err
	}
	status.PolicySnapshotIndexUsed = policySnapshot.Labels[placementv1beta1.PolicyIndexLabel]

	selected, toDelete, err := r.classifyBindings(ctx, crp.Name, policySnapshot.Name)
	if err != nil {
		return err
	}
	if len(selected) == 0 && len(toDelete) == 0 {
		return fail("ClusterResourcePlacement %q has no scheduled clusters and none to remove; check the placement's policy and the member clusters' labels", crp.Name)
	}
	count := len(selected)
	switch {
	case policySnapshot.Spec.Policy != nil && policySnapshot.Spec.Policy.PlacementType == placementv1beta1.PickNPlacementType:
		want, err := strconv.Atoi(policySnapshot.Annotations[placementv1beta1.NumberOfClustersAnnotation])
		if err != nil {
			return waitFor("waiting for ClusterSchedulingPolicySnapshot %q to record its number of clusters", policySnapshot.Name)
		}
		if want != count {
			return waitFor("waiting for the scheduler: ClusterSchedulingPolicySnapshot %q wants %d cluster(s), %d are scheduled", policySnapshot.Name, want, count)
		}
	case policySnapshot.Spec.Policy != nil && policySnapshot.Spec.Policy.PlacementType == placementv1beta1.PickFixedPlacementType:
		if want := len(policySnapshot.Spec.Policy.ClusterNames); want != count {
			return waitFor("waiting for the scheduler: ClusterSchedulingPolicySnapshot %q names %d cluster(s), %d are scheduled", policySnapshot.Name, want, count)
		}
	}
	status.PolicyObservedClusterCount = count

	strategy := &placementv1beta1.ClusterStagedUpdateStrategy{}
	err = r.client.Get(ctx, types.NamespacedName{Name: run.Spec.StagedUpdateStrategyName}, strategy)
	if apierrors.IsNotFound(err) {
		return fail("ClusterStagedUpdateStrategy %q does not exist; create it, or set stagedRolloutStrategyName to an existing strategy", run.Spec.StagedUpdateStrategyName)
	}
	if err != nil {
		return fmt.Errorf("getting ClusterStagedUpdateStrategy %q: %w", run.Spec.StagedUpdateStrategyName, err)
	}
	status.UpdateStrategySnapshot = snapshotStrategy(&strategy.Spec)

	// Stages are computed from the members' labels; nothing is changed, so
	// nothing is copied out of the cache.
	members := &clusterv1beta1.MemberClusterList{}
	if err := r.client.List(ctx, members, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing member clusters: %w", err)
	}
	selectedNames := map[string]bool{}
	for name := range selected {
		selectedNames[name] = true
	}
	stages, err := computeStages(run.Name, &strategy.Spec, members.Items, selectedNames)
	if err != nil {
		return err
	}
	status.StagesStatus = stages

	deletion := &placementv1beta1.StageUpdatingStatus{StageName: placementv1beta1.UpdateRunDeleteStageName, Clusters: []placementv1beta1.ClusterUpdatingStatus{}}
	for _, name := range slices.Sorted(maps.Keys(toDelete)) {
		deletion.Clusters = append(deletion.Clusters, placementv1beta1.ClusterUpdatingStatus{ClusterName: name})
	}
	status.DeletionStageStatus = deletion

	index, err := r.resolveResourceSnapshot(ctx, crp.Name, run.Spec.ResourceSnapshotIndex)
	if err != nil {
		return err
	}
	status.ResourceSnapshotIndexUsed = index
	return nil
}

// latestPolicySnapshot returns the placement's latest policy snapshot once
// the scheduler has fully scheduled it.
func (r *Reconciler) latestPolicySnapshot(ctx context.Context, crp string) (*placementv1beta1.ClusterSchedulingPolicySnapshot, error) {
	list := &placementv1beta1.ClusterSchedulingPolicySnapshotList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp),
		client.MatchingLabels{placementv1beta1.IsLatestSnapshotLabel: "true"}); err != nil {
		return nil, fmt.Errorf("listing policy snapshots of %q: %w", crp, err)
	}
	if len(list.Items) != 1 {
		return nil, waitFor("waiting for ClusterResourcePlacement %q to have one latest scheduling policy snapshot (found %d)", crp, len(list.Items))
	}
	s := &list.Items[0]
	if _, err := strconv.Atoi(s.Labels[placementv1beta1.PolicyIndexLabel]); err != nil {
		return nil, waitFor("waiting for ClusterSchedulingPolicySnapshot %q to get a valid %s label", s.Name, placementv1beta1.PolicyIndexLabel)
	}
	c := s.GetCondition(string(placementv1beta1.PolicySnapshotScheduled))
	if c == nil || c.ObservedGeneration != s.Generation || c.Status != metav1.ConditionTrue {
		msg := ""
		if c != nil {
			msg = ": " + c.Message
		}
		return nil, waitFor("waiting for ClusterSchedulingPolicySnapshot %q to be fully scheduled%s", s.Name, msg)
	}
	return s, nil
}

// classifyBindings sorts the placement's bindings into the clusters to
// update (Scheduled or Bound under the latest policy snapshot) and the
// clusters to remove (Unscheduled).
func (r *Reconciler) classifyBindings(ctx context.Context, crp, policySnapshot string) (selected, toDelete map[string]*placementv1beta1.ClusterResourceBinding, err error) {
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp)); err != nil {
		return nil, nil, fmt.Errorf("listing bindings of %q: %w", crp, err)
	}
	selected = map[string]*placementv1beta1.ClusterResourceBinding{}
	toDelete = map[string]*placementv1beta1.ClusterResourceBinding{}
	for i := range list.Items {
		b := &list.Items[i]
		if !b.DeletionTimestamp.IsZero() {
			continue
		}
		switch {
		case b.Spec.State == placementv1beta1.BindingStateUnscheduled:
			toDelete[b.Spec.TargetCluster] = b
		case b.Spec.SchedulingPolicySnapshotName != policySnapshot:
			return nil, nil, waitFor("waiting for the scheduler to move ClusterResourceBinding %q to policy snapshot %q", b.Name, policySnapshot)
		default:
			selected[b.Spec.TargetCluster] = b
		}
	}
	for name := range selected {
		delete(toDelete, name)
	}
	return selected, toDelete, nil
}

// resolveResourceSnapshot returns the resource index the run rolls out: the
// one it names, or the latest.
func (r *Reconciler) resolveResourceSnapshot(ctx context.Context, crp, index string) (string, error) {
	labels := client.MatchingLabels{}
	if index != "" {
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 {
			return "", fail("resourceSnapshotIndex %q is not a valid index; use an integer of 0 or more", index)
		}
		labels[placementv1beta1.ResourceIndexLabel] = strconv.Itoa(i)
	} else {
		labels[placementv1beta1.IsLatestSnapshotLabel] = "true"
	}
	list := &placementv1beta1.ClusterResourceSnapshotList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp), labels); err != nil {
		return "", fmt.Errorf("listing resource snapshots of %q: %w", crp, err)
	}
	var master *placementv1beta1.ClusterResourceSnapshot
	for i := range list.Items {
		if _, ok := list.Items[i].Annotations[placementv1beta1.ResourceGroupHashAnnotation]; ok {
			master = &list.Items[i]
		}
	}
	switch {
	case master == nil && index != "":
		return "", fail("ClusterResourcePlacement %q has no resource snapshot with index %s; `kubectl get clusterresourcesnapshots -l %s=%s` lists the indices it keeps",
			crp, index, placementv1beta1.PlacementTrackingLabel, crp)
	case master == nil:
		return "", waitFor("waiting for ClusterResourcePlacement %q to snapshot its selected resources", crp)
	}
	want, err := strconv.Atoi(master.Annotations[placementv1beta1.NumberOfResourceSnapshotsAnnotation])
	if err != nil || want != len(list.Items) {
		return "", waitFor("waiting for resource snapshot group %q to be complete", master.Name)
	}
	return master.Labels[placementv1beta1.ResourceIndexLabel], nil
}
