package condition

import (
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flotilla-dev/flotilla/pkg/util/fieldguard"
)

func TestListsEqualAgreesWithSemanticEquality(t *testing.T) {
	fieldguard.Covers(t, map[reflect.Type][]string{
		reflect.TypeFor[metav1.Condition](): {"Type", "Status", "ObservedGeneration", "LastTransitionTime", "Reason", "Message"},
	})
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	base := func() []metav1.Condition {
		return []metav1.Condition{
			{Type: "A", Status: metav1.ConditionTrue, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(at), Reason: "R", Message: "m"},
			{Type: "B", Status: metav1.ConditionUnknown, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(at), Reason: "R", Message: "m"},
		}
	}
	changes := map[string]func([]metav1.Condition) []metav1.Condition{
		"nothing": func(c []metav1.Condition) []metav1.Condition { return c },
		"the same instant elsewhere": func(c []metav1.Condition) []metav1.Condition {
			c[0].LastTransitionTime = metav1.NewTime(at.In(time.FixedZone("east", 3600)))
			return c
		},
		"type":                func(c []metav1.Condition) []metav1.Condition { c[1].Type = "C"; return c },
		"status":              func(c []metav1.Condition) []metav1.Condition { c[1].Status = metav1.ConditionFalse; return c },
		"observed generation": func(c []metav1.Condition) []metav1.Condition { c[1].ObservedGeneration = 2; return c },
		"transition time": func(c []metav1.Condition) []metav1.Condition {
			c[1].LastTransitionTime = metav1.NewTime(at.Add(time.Second))
			return c
		},
		"reason":   func(c []metav1.Condition) []metav1.Condition { c[1].Reason = "S"; return c },
		"message":  func(c []metav1.Condition) []metav1.Condition { c[1].Message = "n"; return c },
		"order":    func(c []metav1.Condition) []metav1.Condition { return []metav1.Condition{c[1], c[0]} },
		"one gone": func(c []metav1.Condition) []metav1.Condition { return c[:1] },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			a, b := base(), change(base())
			if got, want := ListsEqual(a, b), equality.Semantic.DeepEqual(a, b); got != want {
				t.Errorf("ListsEqual = %v, semantic equality %v", got, want)
			}
		})
	}
	if !ListsEqual(nil, []metav1.Condition{}) {
		t.Error("a nil list differs from an empty one")
	}
}
