package scheduler

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/util/cacheindex"
)

func TestBindingName(t *testing.T) {
	long := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	tests := map[string]struct {
		placement, cluster string
		want               string
	}{
		"short names are kept whole": {
			placement: "example-placement", cluster: "member1", want: "example-placement-member1-0123abcd",
		},
		"a long cluster name is cut, the short placement kept": {
			placement: "crp", cluster: long("cluster", 63), want: "crp-" + long("cluster", 50) + "-0123abcd",
		},
		"a long placement name is cut, the short cluster kept": {
			placement: long("placement", 63), cluster: "member1", want: long("placement", 46) + "-member1-0123abcd",
		},
		"both long: both cut": {
			placement: long("placement", 63), cluster: long("cluster", 63), want: long("placement", 26) + "-" + long("cluster", 27) + "-0123abcd",
		},
		"a cut ending in a dot or dash is trimmed": {
			placement: strings.Repeat("a", 25) + ".-b" + strings.Repeat("c", 30), cluster: strings.Repeat("m", 40),
			want: strings.Repeat("a", 25) + "-" + strings.Repeat("m", 27) + "-0123abcd",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := bindingName(tc.placement, tc.cluster, "0123abcd")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("bindingName (-want,+got):\n%s", diff)
			}
			if len(got) > 63 {
				t.Errorf("bindingName has %d characters, want at most 63", len(got))
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("bindingName %q is not a DNS subdomain: %v", got, errs)
			}
		})
	}
}

func TestRandomSuffix(t *testing.T) {
	hex8 := regexp.MustCompile(`^[0-9a-f]{8}$`)
	seen := map[string]bool{}
	for range 50 {
		s, err := randomSuffix()
		if err != nil {
			t.Fatal(err)
		}
		if !hex8.MatchString(s) {
			t.Fatalf("randomSuffix() = %q, want 8 lowercase hex characters", s)
		}
		seen[s] = true
	}
	if len(seen) < 45 {
		t.Errorf("randomSuffix gave only %d distinct values in 50 draws", len(seen))
	}
}

func newFakeClient(objs ...client.Object) client.Client {
	b := fake.NewClientBuilder().WithScheme(hubagent.NewScheme()).WithObjects(objs...).
		WithStatusSubresource(&placementv1beta1.ClusterSchedulingPolicySnapshot{}, &placementv1beta1.ClusterResourceBinding{})
	for _, i := range cacheindex.All() {
		b = b.WithIndex(i.Object, i.Field, i.Extract)
	}
	return b.Build()
}

// bindingsOf lists the bindings of placement "crp" as "name-prefix cluster state snapshot".
func bindingsOf(t *testing.T, c client.Client) map[string]placementv1beta1.ClusterResourceBinding {
	t.Helper()
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := c.List(context.Background(), list, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: "crp"}); err != nil {
		t.Fatal(err)
	}
	out := map[string]placementv1beta1.ClusterResourceBinding{}
	for _, b := range list.Items {
		out[b.Spec.TargetCluster] = b
	}
	return out
}

func TestApplyPlan(t *testing.T) {
	ctx := context.Background()
	stale := binding("crp-member2-00000000", "member2", placementv1beta1.BindingStateBound, "crp-0", withResourceSnapshot("crp-0-snapshot"))
	old := binding("crp-member3-00000000", "member3", placementv1beta1.BindingStateBound, "crp-0")
	leaving := binding("crp-member4-00000000", "member4", placementv1beta1.BindingStateUnscheduled, "crp-0", func(b *placementv1beta1.ClusterResourceBinding) {
		b.Finalizers = append(b.Finalizers, placementv1beta1.WorkFinalizer)
	})
	dup := binding("crp-member2-11111111", "member2", placementv1beta1.BindingStateScheduled, "crp-0")
	c := newFakeClient(&stale, &old, &leaving, &dup)
	if err := c.Delete(ctx, &leaving); err != nil {
		t.Fatal(err)
	}
	r := NewReconciler(c)

	in := scheduleInput{snapshotName: "crp-1", clusters: nil, bindings: nil}
	in.clusters = append(in.clusters, memberCluster("member1"), memberCluster("member2"))
	list := &placementv1beta1.ClusterResourceBindingList{}
	if err := c.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	in.bindings = list.Items
	plan := schedule(in)
	if err := r.applyPlan(ctx, "crp", "crp-1", &plan); err != nil {
		t.Fatalf("applyPlan: %v", err)
	}

	got := bindingsOf(t, c)
	if len(got) != 4 {
		t.Fatalf("got bindings for %v, want member1..4", got)
	}
	created := got["member1"]
	if !regexp.MustCompile(`^crp-member1-[0-9a-f]{8}$`).MatchString(created.Name) {
		t.Errorf("new binding name %q, want crp-member1-<8 hex>", created.Name)
	}
	want := placementv1beta1.ResourceBindingSpec{
		State: placementv1beta1.BindingStateScheduled, SchedulingPolicySnapshotName: "crp-1", TargetCluster: "member1",
		ClusterDecision: placementv1beta1.ClusterDecision{ClusterName: "member1", Selected: true, Reason: pickedReason},
	}
	if diff := cmp.Diff(want, created.Spec); diff != "" {
		t.Errorf("new binding spec (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{placementv1beta1.SchedulerBindingCleanupFinalizer, placementv1beta1.WorkFinalizer}, created.Finalizers); diff != "" {
		t.Errorf("new binding finalizers (-want,+got):\n%s", diff)
	}

	kept := got["member2"]
	if kept.Name != stale.Name || kept.Spec.State != placementv1beta1.BindingStateBound ||
		kept.Spec.SchedulingPolicySnapshotName != "crp-1" || kept.Spec.ResourceSnapshotName != "crp-0-snapshot" {
		t.Errorf("Bound binding of a picked cluster = %s %s %s %s, want %s Bound crp-1 crp-0-snapshot",
			kept.Name, kept.Spec.State, kept.Spec.SchedulingPolicySnapshotName, kept.Spec.ResourceSnapshotName, stale.Name)
	}

	unscheduled := got["member3"]
	if unscheduled.Spec.State != placementv1beta1.BindingStateUnscheduled ||
		unscheduled.Annotations[placementv1beta1.PreviousBindingStateAnnotation] != "Bound" {
		t.Errorf("binding of a vanished cluster = %s (previous %q), want Unscheduled (previous Bound)",
			unscheduled.Spec.State, unscheduled.Annotations[placementv1beta1.PreviousBindingStateAnnotation])
	}

	released := got["member4"]
	if diff := cmp.Diff([]string{placementv1beta1.WorkFinalizer}, released.Finalizers); diff != "" {
		t.Errorf("finalizers of a binding being deleted (-want,+got):\n%s", diff)
	}

	if err := c.Get(ctx, client.ObjectKeyFromObject(&dup), &placementv1beta1.ClusterResourceBinding{}); !apierrors.IsNotFound(err) {
		t.Errorf("duplicate Scheduled binding: Get error = %v, want NotFound", err)
	}
}

func TestApplyPlanConflict(t *testing.T) {
	ctx := context.Background()
	b := binding("crp-member1-00000000", "member1", placementv1beta1.BindingStateScheduled, "crp-0")
	c := newFakeClient(&b)
	r := NewReconciler(c)
	current := &placementv1beta1.ClusterResourceBinding{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(&b), current); err != nil {
		t.Fatal(err)
	}
	// Someone else (a rollout) binds it after we read it.
	bound := current.DeepCopy()
	bound.Spec.State = placementv1beta1.BindingStateBound
	if err := c.Update(ctx, bound); err != nil {
		t.Fatal(err)
	}
	plan := schedule(scheduleInput{snapshotName: "crp-0", bindings: []placementv1beta1.ClusterResourceBinding{*current}})
	err := r.applyPlan(ctx, "crp", "crp-0", &plan)
	if !apierrors.IsConflict(err) {
		t.Fatalf("applyPlan on a stale binding: error = %v, want a conflict", err)
	}
	if got := bindingsOf(t, c)["member1"].Spec.State; got != placementv1beta1.BindingStateBound {
		t.Errorf("binding state = %s, want the rollout's Bound untouched", got)
	}
}

func TestReleasePlacement(t *testing.T) {
	ctx := context.Background()
	crp := &placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{
		Name: "crp", Finalizers: []string{placementv1beta1.SchedulerCleanupFinalizer},
	}}
	scheduled := binding("crp-member1-00000000", "member1", placementv1beta1.BindingStateScheduled, "crp-0")
	withWork := binding("crp-member2-00000000", "member2", placementv1beta1.BindingStateBound, "crp-0", func(b *placementv1beta1.ClusterResourceBinding) {
		b.Finalizers = append(b.Finalizers, placementv1beta1.WorkFinalizer)
	})
	c := newFakeClient(crp, &scheduled, &withWork)
	if err := c.Delete(ctx, crp); err != nil {
		t.Fatal(err)
	}
	r := NewReconciler(c)
	reconcileDeleted := func() {
		t.Helper()
		got := &placementv1beta1.ClusterResourcePlacement{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(crp), got); err != nil {
			t.Fatal(err)
		}
		if err := r.releasePlacement(ctx, got); err != nil {
			t.Fatalf("releasePlacement: %v", err)
		}
	}

	reconcileDeleted()
	left := bindingsOf(t, c)
	if len(left) != 1 || left["member2"].DeletionTimestamp.IsZero() {
		t.Fatalf("bindings left = %v, want only member2's, being deleted", left)
	}
	if diff := cmp.Diff([]string{placementv1beta1.WorkFinalizer}, left["member2"].Finalizers); diff != "" {
		t.Errorf("finalizers of the binding held by the work generator (-want,+got):\n%s", diff)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(crp), &placementv1beta1.ClusterResourcePlacement{}); err != nil {
		t.Fatalf("placement must wait for its last binding: %v", err)
	}

	// The work generator lets go of its binding.
	b := left["member2"]
	b.Finalizers = nil
	if err := c.Update(ctx, &b); err != nil {
		t.Fatal(err)
	}
	reconcileDeleted()
	if err := c.Get(ctx, client.ObjectKeyFromObject(crp), &placementv1beta1.ClusterResourcePlacement{}); !apierrors.IsNotFound(err) {
		t.Errorf("placement after its last binding went: Get error = %v, want NotFound", err)
	}
}
