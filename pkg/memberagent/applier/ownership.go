package applier

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// Ownership.
//
// Every object the agent applies carries an owner reference to the
// AppliedWork of its Work (not a controller reference, and not blocking the
// owner's deletion), so that the member's garbage collector removes it with
// the AppliedWork. An object "belongs" to a Work when it has that reference;
// an existing object without it is taken over (or not) as whenToTakeOver
// says. The reference is also what lets the agent delete exactly what it
// created: it deletes an object only when its own reference is the only one,
// and otherwise just removes its reference.

// ownerRefTo returns the owner reference applied objects carry to aw.
func ownerRefTo(aw *placementv1beta1.AppliedWork) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         placementv1beta1.GroupVersion.String(),
		Kind:               placementv1beta1.AppliedWorkKind,
		Name:               aw.Name,
		UID:                aw.UID,
		BlockOwnerDeletion: ptr.To(false),
	}
}

// isAppliedWorkRef reports whether ref points at an AppliedWork.
func isAppliedWorkRef(ref metav1.OwnerReference) bool {
	return ref.Kind == placementv1beta1.AppliedWorkKind &&
		strings.HasPrefix(ref.APIVersion, placementv1beta1.GroupVersion.Group+"/")
}

// owners sorts an object's owner references into ours, other AppliedWorks'
// (other placements), and anything else.
type owners struct {
	ours               bool
	otherAppliedWorks  []string
	others             []string
	referencesExceptUs []metav1.OwnerReference
}

func ownersOf(obj *unstructured.Unstructured, ours types.UID) owners {
	var o owners
	for _, ref := range obj.GetOwnerReferences() {
		switch {
		case ref.UID == ours:
			o.ours = true
			continue
		case isAppliedWorkRef(ref):
			o.otherAppliedWorks = append(o.otherAppliedWorks, ref.Name)
		default:
			o.others = append(o.others, fmt.Sprintf("%s %s", ref.Kind, ref.Name))
		}
		o.referencesExceptUs = append(o.referencesExceptUs, ref)
	}
	return o
}

// ownedBy reports whether obj carries the owner reference with UID ours.
func ownedBy(obj *unstructured.Unstructured, ours types.UID) bool {
	return obj != nil && ownersOf(obj, ours).ours
}

// ownership is what the agent may do with the object of a manifest.
type ownership int

const (
	// apply: the object is missing or already the Work's; apply the manifest.
	apply ownership = iota
	// takeOver: the object exists unowned; apply over it and take it over.
	takeOver
	// takeOverIfNoDiff: take the object over only if it already matches the manifest.
	takeOverIfNoDiff
	// leaveAlone: the object exists unowned and whenToTakeOver is Never.
	leaveAlone
	// refuse: another placement owns the object, or other owners do and
	// co-ownership is not allowed.
	refuse
)

// decideOwnership says what may be done with live (nil when missing) given
// the owner reference UID of the Work's AppliedWork and the apply strategy.
// The message explains leaveAlone and refuse.
func decideOwnership(live *unstructured.Unstructured, ours types.UID, s placementv1beta1.ApplyStrategy) (ownership, string) {
	if live == nil {
		return apply, ""
	}
	o := ownersOf(live, ours)
	if !o.ours && s.WhenToTakeOver == placementv1beta1.WhenToTakeOverTypeNever {
		return leaveAlone, "The object already exists on the member cluster and is not managed by Fleet; whenToTakeOver is Never, so it is left alone"
	}
	if len(o.otherAppliedWorks) > 0 {
		return refuse, fmt.Sprintf("The object is already placed by another placement (AppliedWork %s)", strings.Join(o.otherAppliedWorks, ", "))
	}
	if len(o.others) > 0 && !s.AllowCoOwnership {
		return refuse, fmt.Sprintf("The object is owned by %s and allowCoOwnership is false", strings.Join(o.others, ", "))
	}
	switch {
	case o.ours:
		return apply, ""
	case s.WhenToTakeOver == placementv1beta1.WhenToTakeOverTypeIfNoDiff:
		return takeOverIfNoDiff, ""
	default:
		return takeOver, ""
	}
}
