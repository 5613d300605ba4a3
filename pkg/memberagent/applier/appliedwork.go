package applier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// ensureAppliedWork returns the Work's AppliedWork on the member cluster,
// creating it when missing.
func (r *Reconciler) ensureAppliedWork(ctx context.Context, work *placementv1beta1.Work) (*placementv1beta1.AppliedWork, error) {
	aw := &placementv1beta1.AppliedWork{}
	err := r.memberClient.Get(ctx, types.NamespacedName{Name: work.Name}, aw)
	switch {
	case err == nil:
		if !aw.DeletionTimestamp.IsZero() {
			return nil, fmt.Errorf("AppliedWork %q is being deleted; waiting for it to go before applying again", aw.Name)
		}
		return aw, nil
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("getting AppliedWork %q: %w", work.Name, err)
	}
	aw = &placementv1beta1.AppliedWork{
		ObjectMeta: metav1.ObjectMeta{Name: work.Name},
		Spec:       placementv1beta1.AppliedWorkSpec{WorkName: work.Name, WorkNamespace: work.Namespace},
	}
	if err := r.memberClient.Create(ctx, aw); err != nil {
		return nil, fmt.Errorf("creating AppliedWork %q: %w", work.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Created AppliedWork", "appliedWork", klog.KObj(aw))
	return aw, nil
}

// appliedResources lists, in manifest order, every object of the Work that
// carries the AppliedWork's owner reference after this pass.
func appliedResources(manifests []*manifest, results []*result, aw *placementv1beta1.AppliedWork) []placementv1beta1.AppliedResourceMeta {
	var out []placementv1beta1.AppliedResourceMeta
	for i, m := range manifests {
		if live := results[i].live; ownedBy(live, aw.UID) {
			out = append(out, placementv1beta1.AppliedResourceMeta{WorkResourceIdentifier: m.id, UID: live.GetUID()})
		}
	}
	return out
}

// staleResources returns the resources recorded as applied whose object no
// manifest of the Work describes any more.
func staleResources(recorded []placementv1beta1.AppliedResourceMeta, manifests []*manifest) []placementv1beta1.AppliedResourceMeta {
	current := map[identity]bool{}
	for _, m := range manifests {
		if m.obj != nil {
			current[identityOf(m.id)] = true
		}
	}
	var out []placementv1beta1.AppliedResourceMeta
	for _, res := range recorded {
		if !current[identityOf(res.WorkResourceIdentifier)] {
			out = append(out, res)
		}
	}
	return out
}

// canRemoveStale reports whether objects that left the Work may be removed:
// only when every manifest could be decoded, so that a manifest that
// suddenly fails to decode never causes its object to be deleted.
func canRemoveStale(manifests []*manifest) bool {
	return !slices.ContainsFunc(manifests, func(m *manifest) bool { return m.obj == nil })
}

// removeOrder releases namespaced objects first, then namespaces, then CRDs.
func removeOrder(res placementv1beta1.AppliedResourceMeta) int {
	switch {
	case res.Group == "apiextensions.k8s.io" && res.Kind == "CustomResourceDefinition":
		return 2
	case res.Group == "" && res.Kind == "Namespace":
		return 1
	default:
		return 0
	}
}

// releaseAll releases every resource, in removeOrder, and returns those it
// could not release, with the errors.
func (r *Reconciler) releaseAll(ctx context.Context, resources []placementv1beta1.AppliedResourceMeta, aw *placementv1beta1.AppliedWork) ([]placementv1beta1.AppliedResourceMeta, error) {
	ordered := slices.Clone(resources)
	slices.SortStableFunc(ordered, func(a, b placementv1beta1.AppliedResourceMeta) int {
		return cmp.Compare(removeOrder(a), removeOrder(b))
	})
	var left []placementv1beta1.AppliedResourceMeta
	var errs []error
	for _, res := range ordered {
		if err := r.release(ctx, res, aw); err != nil {
			left = append(left, res)
			errs = append(errs, err)
		}
	}
	return left, errors.Join(errs...)
}

// release gives up the Work's hold on one applied object: it deletes the
// object when the AppliedWork is its only owner, and otherwise only removes
// the AppliedWork's owner reference. An object that is gone, was replaced
// (another UID) or no longer carries the reference is left alone.
func (r *Reconciler) release(ctx context.Context, res placementv1beta1.AppliedResourceMeta, aw *placementv1beta1.AppliedWork) error {
	gvr := schema.GroupVersionResource{Group: res.Group, Version: res.Version, Resource: res.Resource}
	client := r.member.Resource(gvr).Namespace(res.Namespace)
	obj, err := client.Get(ctx, res.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("getting %s %q to remove it: %w", res.Kind, describe(res), err)
	}
	if (res.UID != "" && obj.GetUID() != res.UID) || !ownedBy(obj, aw.UID) {
		return nil
	}
	log := ctrl.LoggerFrom(ctx).WithValues("kind", res.Kind, "object", klog.KObj(obj))
	if others := ownersOf(obj, aw.UID).referencesExceptUs; len(others) > 0 {
		obj.SetOwnerReferences(others)
		if _, err := client.Update(ctx, obj, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing Fleet's owner reference from %s %q: %w", res.Kind, describe(res), err)
		}
		log.Info("Released co-owned object")
		return nil
	}
	uid := obj.GetUID()
	background := metav1.DeletePropagationBackground
	err = client.Delete(ctx, res.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &background})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting %s %q: %w", res.Kind, describe(res), err)
	}
	log.Info("Deleted object no longer in the Work")
	return nil
}

func describe(res placementv1beta1.AppliedResourceMeta) string {
	if res.Namespace == "" {
		return res.Name
	}
	return res.Namespace + "/" + res.Name
}

// ownedByWork lists, for cleanup, the objects of the Work's decodable
// manifests that carry the AppliedWork's owner reference but are missing
// from its status (an agent stopped between applying and recording).
func (r *Reconciler) ownedByWork(ctx context.Context, manifests []*manifest, aw *placementv1beta1.AppliedWork) []placementv1beta1.AppliedResourceMeta {
	recorded := map[identity]bool{}
	for _, res := range aw.Status.AppliedResources {
		recorded[identityOf(res.WorkResourceIdentifier)] = true
	}
	var out []placementv1beta1.AppliedResourceMeta
	for _, m := range manifests {
		if m.failure != nil || recorded[identityOf(m.id)] {
			continue
		}
		obj, err := r.member.Resource(m.gvr).Namespace(m.id.Namespace).Get(ctx, m.id.Name, metav1.GetOptions{})
		if err != nil || !ownedBy(obj, aw.UID) {
			continue
		}
		out = append(out, placementv1beta1.AppliedResourceMeta{WorkResourceIdentifier: m.id, UID: obj.GetUID()})
	}
	return out
}

// updateAppliedResources records what is applied, when it changed.
func (r *Reconciler) updateAppliedResources(ctx context.Context, aw *placementv1beta1.AppliedWork, resources []placementv1beta1.AppliedResourceMeta) error {
	if equality.Semantic.DeepEqual(aw.Status.AppliedResources, resources) {
		return nil
	}
	aw.Status.AppliedResources = resources
	if err := r.memberClient.Status().Update(ctx, aw); err != nil {
		return fmt.Errorf("updating the status of AppliedWork %q: %w", aw.Name, err)
	}
	return nil
}
