package rollout

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Rolling update defaults, the same as the CRD's. They are repeated here for
// placements built in code or stored before the defaults existed.
var (
	defaultMaxUnavailable = intstr.FromString("25%")
	defaultMaxSurge       = intstr.FromString("25%")
)

const defaultUnavailablePeriodSeconds = 60

// limits are a placement's rolling update parameters turned into cluster counts.
type limits struct {
	// target is the number of clusters the placement should be on: its
	// Scheduled and Bound bindings that are not being deleted. Percentages
	// are taken of it.
	target int
	// maxUnavailable is how far below target the number of available clusters may drop.
	maxUnavailable int
	// maxSurge is how far above target the number of clusters holding (or
	// getting) the resources may go.
	maxSurge int
	// unavailablePeriod is how long a cluster whose resources cannot be
	// tracked must have been applied before it counts as available.
	unavailablePeriod time.Duration
}

// resolveLimits turns a rolling update configuration into counts for target
// clusters, the way a Deployment does for replicas: maxSurge rounds up and
// maxUnavailable rounds down. Two rules keep a rollout from standing still:
// a maxUnavailable percentage above zero never rounds down to 0 clusters (it
// allows at least 1), and when both come out as 0, maxUnavailable is 1. An
// explicit maxUnavailable of 0 (with a maxSurge) is honoured: clusters are
// then only added before others are removed, and in-place updates of a
// cluster wait for good.
func resolveLimits(ru *placementv1beta1.RollingUpdateConfig, target int) (limits, error) {
	maxUnavailable, maxSurge := &defaultMaxUnavailable, &defaultMaxSurge
	periodSeconds := defaultUnavailablePeriodSeconds
	if ru != nil {
		if ru.MaxUnavailable != nil {
			maxUnavailable = ru.MaxUnavailable
		}
		if ru.MaxSurge != nil {
			maxSurge = ru.MaxSurge
		}
		if ru.UnavailablePeriodSeconds != nil {
			periodSeconds = *ru.UnavailablePeriodSeconds
		}
	}

	l := limits{target: target, unavailablePeriod: time.Duration(periodSeconds) * time.Second}
	var err error
	if l.maxSurge, err = intstr.GetScaledValueFromIntOrPercent(maxSurge, target, true); err != nil {
		return limits{}, fmt.Errorf("invalid maxSurge %q: %w", maxSurge.String(), err)
	}
	if l.maxUnavailable, err = intstr.GetScaledValueFromIntOrPercent(maxUnavailable, target, false); err != nil {
		return limits{}, fmt.Errorf("invalid maxUnavailable %q: %w", maxUnavailable.String(), err)
	}
	if l.maxUnavailable == 0 {
		// Rounded up, a percentage above zero of a non-empty target is at least 1.
		if up, _ := intstr.GetScaledValueFromIntOrPercent(maxUnavailable, target, true); up > 0 {
			l.maxUnavailable = 1
		}
	}
	if l.maxSurge < 0 || l.maxUnavailable < 0 || l.unavailablePeriod < 0 {
		return limits{}, fmt.Errorf("maxSurge %q, maxUnavailable %q and unavailablePeriodSeconds %d must not be negative",
			maxSurge.String(), maxUnavailable.String(), periodSeconds)
	}
	if l.maxSurge == 0 && l.maxUnavailable == 0 {
		l.maxUnavailable = 1
	}
	return l, nil
}
