package placement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

// defaultRevisionHistoryLimit is how many snapshots of each kind a placement
// keeps when spec.revisionHistoryLimit is unset.
const defaultRevisionHistoryLimit = 10

// policyHash returns the hex sha-256 of a placement policy, leaving out
// numberOfClusters: scaling a PickN placement keeps its policy snapshot and
// only updates the snapshot's number-of-clusters annotation.
func policyHash(policy *placementv1beta1.PlacementPolicy) (string, error) {
	if policy != nil {
		policy = policy.DeepCopy()
		policy.NumberOfClusters = nil
	}
	data, err := json.Marshal(policy)
	if err != nil {
		return "", fmt.Errorf("encoding the policy: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// snapshotIndex reads the policy-index label of a snapshot.
func snapshotIndex(s *placementv1beta1.ClusterSchedulingPolicySnapshot) (int, error) {
	v := s.Labels[placementv1beta1.PolicyIndexLabel]
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return 0, fmt.Errorf("ClusterSchedulingPolicySnapshot %q has an invalid %s label %q", s.Name, placementv1beta1.PolicyIndexLabel, v)
	}
	return i, nil
}

// numberOfClustersAnnotation returns the annotation value a snapshot of the
// policy carries: the desired count for PickN, nothing otherwise.
func numberOfClustersAnnotation(policy *placementv1beta1.PlacementPolicy) (string, bool) {
	if policy == nil || policy.PlacementType != placementv1beta1.PickNPlacementType || policy.NumberOfClusters == nil {
		return "", false
	}
	return strconv.Itoa(int(*policy.NumberOfClusters)), true
}

// policySnapshotPlan is what ensurePolicySnapshot must do.
type policySnapshotPlan struct {
	// current is the newest snapshot when it matches the policy; nil means a
	// new snapshot at nextIndex is needed.
	current   *placementv1beta1.ClusterSchedulingPolicySnapshot
	unlatest  []*placementv1beta1.ClusterSchedulingPolicySnapshot
	prune     []*placementv1beta1.ClusterSchedulingPolicySnapshot
	nextIndex int
}

// planPolicySnapshots decides, from the existing snapshots, which one is
// current (the newest, when its hash matches), which must be pruned to keep
// limit snapshots counting a new one, which must stop being latest, and the
// next index.
func planPolicySnapshots(snapshots []*placementv1beta1.ClusterSchedulingPolicySnapshot, hash string, limit int) (policySnapshotPlan, error) {
	plan := policySnapshotPlan{}
	type indexed struct {
		s *placementv1beta1.ClusterSchedulingPolicySnapshot
		i int
	}
	all := make([]indexed, 0, len(snapshots))
	for _, s := range snapshots {
		i, err := snapshotIndex(s)
		if err != nil {
			return plan, err
		}
		all = append(all, indexed{s, i})
	}
	slices.SortFunc(all, func(a, b indexed) int { return a.i - b.i })
	if len(all) > 0 {
		plan.nextIndex = all[len(all)-1].i + 1
		newest := all[len(all)-1].s
		if string(newest.Spec.PolicyHash) == hash {
			plan.current = newest
		}
	}
	if plan.current == nil {
		// Keep limit snapshots in all, counting the one about to be created.
		for i := 0; i < len(all)-(limit-1); i++ {
			plan.prune = append(plan.prune, all[i].s)
		}
	}
	for _, x := range all[len(plan.prune):] {
		if x.s != plan.current && x.s.Labels[placementv1beta1.IsLatestSnapshotLabel] != "false" {
			plan.unlatest = append(plan.unlatest, x.s)
		}
	}
	return plan, nil
}

// ensurePolicySnapshot makes the placement's latest scheduling policy
// snapshot match its current policy, creating the next one when the policy
// changed, and returns it.
func (r *Reconciler) ensurePolicySnapshot(ctx context.Context, crp *placementv1beta1.ClusterResourcePlacement) (*placementv1beta1.ClusterSchedulingPolicySnapshot, error) {
	log := ctrl.LoggerFrom(ctx)
	hash, err := policyHash(crp.Spec.Policy)
	if err != nil {
		return nil, err
	}
	list := &placementv1beta1.ClusterSchedulingPolicySnapshotList{}
	if err := r.client.List(ctx, list, cacheindex.InPlacement(crp.Name)); err != nil {
		return nil, fmt.Errorf("listing policy snapshots of %q: %w", crp.Name, err)
	}
	existing := make([]*placementv1beta1.ClusterSchedulingPolicySnapshot, len(list.Items))
	for i := range list.Items {
		existing[i] = &list.Items[i]
	}
	limit := defaultRevisionHistoryLimit
	if crp.Spec.RevisionHistoryLimit != nil {
		limit = int(*crp.Spec.RevisionHistoryLimit)
	}
	plan, err := planPolicySnapshots(existing, hash, limit)
	if err != nil {
		return nil, err
	}

	// Older snapshots stop being latest before a new one appears, so a crash
	// in between leaves no latest snapshot (repaired next pass), never two.
	for _, s := range plan.unlatest {
		s.Labels[placementv1beta1.IsLatestSnapshotLabel] = "false"
		if err := r.client.Update(ctx, s); err != nil {
			return nil, fmt.Errorf("marking policy snapshot %q as not latest: %w", s.Name, err)
		}
	}

	count, hasCount := numberOfClustersAnnotation(crp.Spec.Policy)
	generation := strconv.FormatInt(crp.Generation, 10)
	if s := plan.current; s != nil {
		changed := s.Labels[placementv1beta1.IsLatestSnapshotLabel] != "true"
		s.Labels[placementv1beta1.IsLatestSnapshotLabel] = "true"
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		if hasCount && s.Annotations[placementv1beta1.NumberOfClustersAnnotation] != count {
			s.Annotations[placementv1beta1.NumberOfClustersAnnotation] = count
			changed = true
		}
		if s.Annotations[placementv1beta1.CRPGenerationAnnotation] != generation {
			s.Annotations[placementv1beta1.CRPGenerationAnnotation] = generation
			changed = true
		}
		if changed {
			if err := r.client.Update(ctx, s); err != nil {
				return nil, fmt.Errorf("updating policy snapshot %q: %w", s.Name, err)
			}
		}
		return s, nil
	}

	for _, s := range plan.prune {
		if err := r.client.Delete(ctx, s); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("pruning policy snapshot %q: %w", s.Name, err)
		}
	}
	snapshot := &placementv1beta1.ClusterSchedulingPolicySnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf(placementv1beta1.PolicySnapshotNameFmt, crp.Name, plan.nextIndex),
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: crp.Name,
				placementv1beta1.PolicyIndexLabel:       strconv.Itoa(plan.nextIndex),
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
		},
		Spec: placementv1beta1.SchedulingPolicySnapshotSpec{
			Policy:     crp.Spec.Policy.DeepCopy(),
			PolicyHash: []byte(hash),
		},
	}
	snapshot.Annotations = map[string]string{placementv1beta1.CRPGenerationAnnotation: generation}
	if hasCount {
		snapshot.Annotations[placementv1beta1.NumberOfClustersAnnotation] = count
	}
	if err := controllerutil.SetControllerReference(crp, snapshot, r.client.Scheme()); err != nil {
		return nil, fmt.Errorf("setting the owner of policy snapshot %q: %w", snapshot.Name, err)
	}
	if err := r.client.Create(ctx, snapshot); err != nil {
		return nil, fmt.Errorf("creating policy snapshot %q: %w", snapshot.Name, err)
	}
	log.Info("Created policy snapshot", "snapshot", snapshot.Name)
	return snapshot, nil
}
