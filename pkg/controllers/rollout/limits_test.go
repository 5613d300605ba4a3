package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func rollingUpdate(maxUnavailable, maxSurge intstr.IntOrString) *placementv1beta1.RollingUpdateConfig {
	return &placementv1beta1.RollingUpdateConfig{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge}
}

func TestResolveLimits(t *testing.T) {
	pct := intstr.FromString
	num := intstr.FromInt32
	tests := map[string]struct {
		ru      *placementv1beta1.RollingUpdateConfig
		target  int
		want    limits
		wantErr bool
	}{
		"no configuration: 25% each of 4 clusters and 60 s": {
			target: 4,
			want:   limits{target: 4, maxUnavailable: 1, maxSurge: 1, unavailablePeriod: time.Minute},
		},
		"integers are taken as they are": {
			ru:     rollingUpdate(num(2), num(3)),
			target: 4,
			want:   limits{target: 4, maxUnavailable: 2, maxSurge: 3, unavailablePeriod: time.Minute},
		},
		"maxUnavailable percentage rounds down, maxSurge rounds up": {
			ru:     rollingUpdate(pct("30%"), pct("30%")),
			target: 10,
			want:   limits{target: 10, maxUnavailable: 3, maxSurge: 3, unavailablePeriod: time.Minute},
		},
		"a fraction of a cluster: maxUnavailable 1.5 is 1, maxSurge 1.5 is 2": {
			ru:     rollingUpdate(pct("25%"), pct("25%")),
			target: 6,
			want:   limits{target: 6, maxUnavailable: 1, maxSurge: 2, unavailablePeriod: time.Minute},
		},
		"a maxUnavailable percentage above zero allows at least one cluster": {
			ru:     rollingUpdate(pct("10%"), pct("10%")),
			target: 3,
			want:   limits{target: 3, maxUnavailable: 1, maxSurge: 1, unavailablePeriod: time.Minute},
		},
		"explicit maxUnavailable 0 with a surge is honoured": {
			ru:     rollingUpdate(num(0), num(1)),
			target: 4,
			want:   limits{target: 4, maxUnavailable: 0, maxSurge: 1, unavailablePeriod: time.Minute},
		},
		"0% maxUnavailable stays 0 when there is a surge": {
			ru:     rollingUpdate(pct("0%"), pct("50%")),
			target: 4,
			want:   limits{target: 4, maxUnavailable: 0, maxSurge: 2, unavailablePeriod: time.Minute},
		},
		"both 0: maxUnavailable becomes 1": {
			ru:     rollingUpdate(num(0), pct("0%")),
			target: 4,
			want:   limits{target: 4, maxUnavailable: 1, maxSurge: 0, unavailablePeriod: time.Minute},
		},
		"no target clusters: percentages are 0, so maxUnavailable is 1": {
			target: 0,
			want:   limits{target: 0, maxUnavailable: 1, maxSurge: 0, unavailablePeriod: time.Minute},
		},
		"100% of every cluster": {
			ru:     rollingUpdate(pct("100%"), pct("100%")),
			target: 5,
			want:   limits{target: 5, maxUnavailable: 5, maxSurge: 5, unavailablePeriod: time.Minute},
		},
		"unavailablePeriodSeconds is read, other fields default": {
			ru:     &placementv1beta1.RollingUpdateConfig{UnavailablePeriodSeconds: ptr.To(5)},
			target: 8,
			want:   limits{target: 8, maxUnavailable: 2, maxSurge: 2, unavailablePeriod: 5 * time.Second},
		},
		"a number written as a string is refused": {
			ru:      rollingUpdate(pct("2"), pct("25%")),
			target:  4,
			wantErr: true,
		},
		"a negative number is refused": {
			ru:      rollingUpdate(num(-1), num(1)),
			target:  4,
			wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := resolveLimits(tc.ru, tc.target)
			if (err != nil) != tc.wantErr {
				t.Fatalf("resolveLimits() error = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(limits{})); diff != "" {
				t.Errorf("resolveLimits() (-want,+got):\n%s", diff)
			}
		})
	}
}
