package handlers

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestParentPlacement(t *testing.T) {
	cases := map[string]struct {
		labels map[string]string
		want   []reconcile.Request
	}{
		"an object labelled with its placement": {
			labels: map[string]string{placementv1beta1.PlacementTrackingLabel: "crp"},
			want:   []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "crp"}}},
		},
		"an object without the label": {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := &placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: tc.labels}}
			if diff := cmp.Diff(tc.want, ParentPlacement(context.Background(), obj)); diff != "" {
				t.Errorf("ParentPlacement() (-want,+got):\n%s", diff)
			}
		})
	}
}
