package hubagent

import (
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// binding is a binding built from fresh strings, as a decoder builds them.
func binding(name string) *placementv1beta1.ClusterResourceBinding {
	fresh := func(s string) string { return string([]byte(s)) }
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:          name,
			Labels:        map[string]string{fresh(placementv1beta1.PlacementTrackingLabel): fresh("crp")},
			Finalizers:    []string{fresh(placementv1beta1.WorkFinalizer)},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "hubagent"}},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:         placementv1beta1.BindingState(fresh("Bound")),
			TargetCluster: fresh("member1"),
		},
		Status: placementv1beta1.ResourceBindingStatus{Conditions: []metav1.Condition{
			{Type: fresh("Available"), Reason: fresh("AllWorkAreAvailable"), Message: fresh("All corresponding work objects are available")},
		}},
	}
}

func TestCacheTransformSharesStringsAndKeepsContent(t *testing.T) {
	transform := CacheTransform()
	var got []*placementv1beta1.ClusterResourceBinding
	for _, name := range []string{"a", "b"} {
		out, err := transform(binding(name))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.(*placementv1beta1.ClusterResourceBinding))
	}

	want := binding("a")
	want.ManagedFields = nil
	if !equality.Semantic.DeepEqual(got[0], want) {
		t.Errorf("transformed binding = %+v, want %+v", got[0], want)
	}
	same := func(what, x, y string) {
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s is not shared: %q, %q", what, x, y)
		}
	}
	a, b := got[0], got[1]
	same("the label value", a.Labels[placementv1beta1.PlacementTrackingLabel], b.Labels[placementv1beta1.PlacementTrackingLabel])
	same("the finalizer", a.Finalizers[0], b.Finalizers[0])
	same("the state", string(a.Spec.State), string(b.Spec.State))
	same("the target cluster", a.Spec.TargetCluster, b.Spec.TargetCluster)
	same("the condition message", a.Status.Conditions[0].Message, b.Status.Conditions[0].Message)
	if unsafe.StringData(a.Name) == unsafe.StringData(b.Name) {
		t.Error("different names share storage")
	}
}
