package membercluster

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
)

// missedHeartbeats is how many heartbeat periods a member agent may stay
// silent before its cluster is reported unhealthy.
const missedHeartbeats = 3

// heartbeatDeadline is how long after its last heartbeat a member agent counts as silent.
func heartbeatDeadline(mc *clusterv1beta1.MemberCluster) time.Duration {
	period := mc.Spec.HeartbeatPeriodSeconds
	if period <= 0 {
		period = 60
	}
	return missedHeartbeats * time.Duration(period) * time.Second
}

// syncStatus copies what the member agent reported in the InternalMemberCluster
// (nil when it does not exist yet) into the MemberCluster's status and derives
// the Joined and Healthy conditions. It returns how long until the heartbeat
// goes stale, so the caller can look again then; zero means no timer is needed.
func syncStatus(mc *clusterv1beta1.MemberCluster, imc *clusterv1beta1.InternalMemberCluster, now time.Time) time.Duration {
	gen := mc.Generation
	meta.SetStatusCondition(&mc.Status.Conditions, metav1.Condition{
		Type:               string(clusterv1beta1.ConditionTypeMemberClusterReadyToJoin),
		Status:             metav1.ConditionTrue,
		Reason:             clusterv1beta1.MemberClusterReadyToJoinReason,
		Message:            "The hub has prepared the cluster's namespace, access and InternalMemberCluster",
		ObservedGeneration: gen,
	})

	var agent *clusterv1beta1.AgentStatus
	if imc != nil {
		mc.Status.Properties = imc.Status.Properties
		mc.Status.ResourceUsage = imc.Status.ResourceUsage
		mc.Status.Namespaces = imc.Status.Namespaces
		mc.Status.AgentStatus = imc.Status.AgentStatus
		for _, t := range []clusterv1beta1.MemberClusterConditionType{
			clusterv1beta1.ConditionTypeClusterPropertyProviderStarted,
			clusterv1beta1.ConditionTypeClusterPropertyCollectionSucceeded,
		} {
			if c := meta.FindStatusCondition(imc.Status.Conditions, string(t)); c != nil {
				copied := *c
				copied.ObservedGeneration = gen
				meta.SetStatusCondition(&mc.Status.Conditions, copied)
			}
		}
		agent = mc.GetAgentStatus(clusterv1beta1.MemberAgent)
	}

	meta.SetStatusCondition(&mc.Status.Conditions, joinedCondition(agent, gen))
	healthy, recheckIn := healthyCondition(mc, agent, now)
	meta.SetStatusCondition(&mc.Status.Conditions, healthy)
	return recheckIn
}

// joinedCondition reflects the member agent's own Joined report.
func joinedCondition(agent *clusterv1beta1.AgentStatus, gen int64) metav1.Condition {
	cond := metav1.Condition{
		Type:               string(clusterv1beta1.ConditionTypeMemberClusterJoined),
		Status:             metav1.ConditionUnknown,
		Reason:             clusterv1beta1.MemberClusterJoinStateUnknownReason,
		Message:            "The member agent has not reported joining yet",
		ObservedGeneration: gen,
	}
	if agent == nil {
		return cond
	}
	joined := meta.FindStatusCondition(agent.Conditions, string(clusterv1beta1.AgentJoined))
	switch {
	case joined == nil:
	case joined.Status == metav1.ConditionTrue:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, clusterv1beta1.MemberClusterJoinedReason, "The member agent has joined the fleet"
	case joined.Status == metav1.ConditionFalse:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, clusterv1beta1.MemberClusterLeftReason, "The member agent has left the fleet"
	default:
		cond.Message = fmt.Sprintf("The member agent reports %s: %s", joined.Reason, joined.Message)
	}
	return cond
}

// healthyCondition is True while the member agent heartbeats in time and
// reports a healthy cluster. It also returns how long until the last
// heartbeat goes stale (zero when it already is, or there is none).
func healthyCondition(mc *clusterv1beta1.MemberCluster, agent *clusterv1beta1.AgentStatus, now time.Time) (metav1.Condition, time.Duration) {
	cond := metav1.Condition{
		Type:               string(clusterv1beta1.ConditionTypeMemberClusterHealthy),
		Status:             metav1.ConditionUnknown,
		Reason:             clusterv1beta1.MemberClusterHealthUnknownReason,
		Message:            "The member agent has not sent a heartbeat yet",
		ObservedGeneration: mc.Generation,
	}
	if agent == nil || agent.LastReceivedHeartbeat.IsZero() {
		return cond, 0
	}
	deadline := heartbeatDeadline(mc)
	silentFor := now.Sub(agent.LastReceivedHeartbeat.Time)
	if silentFor >= deadline {
		cond.Status, cond.Reason = metav1.ConditionFalse, clusterv1beta1.MemberClusterHeartbeatTimeoutReason
		cond.Message = fmt.Sprintf("The member agent's last heartbeat was %s ago, more than %d heartbeat periods (%s); check that the agent runs and can reach the hub",
			silentFor.Round(time.Second), missedHeartbeats, deadline)
		return cond, 0
	}
	recheckIn := deadline - silentFor
	if h := meta.FindStatusCondition(agent.Conditions, string(clusterv1beta1.AgentHealthy)); h != nil && h.Status == metav1.ConditionFalse {
		cond.Status, cond.Reason = metav1.ConditionFalse, clusterv1beta1.MemberClusterUnhealthyReason
		cond.Message = fmt.Sprintf("The member agent reports the cluster unhealthy: %s", h.Message)
		return cond, recheckIn
	}
	cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, clusterv1beta1.MemberClusterHealthyReason, "The member agent reports in time"
	return cond, recheckIn
}
