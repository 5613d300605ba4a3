package applier

import (
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// strategyOf returns the Work's apply strategy with every unset field at its
// API default. The CRD defaults fields only inside an applyStrategy that is
// present, so a Work without one gets the defaults here.
func strategyOf(work *placementv1beta1.Work) placementv1beta1.ApplyStrategy {
	var s placementv1beta1.ApplyStrategy
	if work.Spec.ApplyStrategy != nil {
		s = *work.Spec.ApplyStrategy.DeepCopy()
	}
	if s.Type == "" {
		s.Type = placementv1beta1.ApplyStrategyTypeClientSideApply
	}
	if s.ComparisonOption == "" {
		s.ComparisonOption = placementv1beta1.ComparisonOptionTypePartialComparison
	}
	if s.WhenToApply == "" {
		s.WhenToApply = placementv1beta1.WhenToApplyTypeAlways
	}
	if s.WhenToTakeOver == "" {
		s.WhenToTakeOver = placementv1beta1.WhenToTakeOverTypeAlways
	}
	return s
}

// forceConflicts says whether an apply takes over fields other field managers
// set. ClientSideApply always does: `kubectl apply` (client-side) overwrites
// whatever it sets regardless of who set it last, and server-side apply with
// force is the closest equivalent. ServerSideApply follows
// serverSideApplyConfig.force, so a conflict fails the apply by default.
func forceConflicts(s placementv1beta1.ApplyStrategy) bool {
	if s.Type == placementv1beta1.ApplyStrategyTypeServerSideApply {
		return s.ServerSideApplyConfig != nil && s.ServerSideApplyConfig.ForceConflicts
	}
	return true
}
