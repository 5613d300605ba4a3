package workgenerator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// leaveFinalizer stands for the member cluster controller's finalizer: it
// keeps a deleted MemberCluster until the test lets it go.
const leaveFinalizer = "workgenerator-test/leave"

// specNames returns names no other spec uses: a placement and a member cluster.
var specNames = func() func() (string, string) {
	n := 0
	return func() (string, string) {
		n++
		return fmt.Sprintf("crp-%d", n), fmt.Sprintf("member-%d", n)
	}
}()

func memberNamespace(cluster string) string {
	return fmt.Sprintf(clusterv1beta1.NamespaceNameFormat, cluster)
}

// createCluster does what the member cluster controller does for a new
// member: the MemberCluster (held by leaveFinalizer once deleted) and its hub
// namespace. envtest cannot delete namespaces, so they stay.
func createCluster(name string) {
	GinkgoHelper()
	mc := &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: []string{leaveFinalizer}},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
		},
	}
	Expect(k8sClient.Create(ctx, mc)).To(Succeed())
	DeferCleanup(func() {
		releaseCluster(name)
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, mc))).To(Succeed())
	})
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: memberNamespace(name)}})).To(Succeed())
}

// releaseCluster removes leaveFinalizer from a MemberCluster.
func releaseCluster(name string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, mc)
		if apierrors.IsNotFound(err) {
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		if controllerutil.RemoveFinalizer(mc, leaveFinalizer) {
			g.Expect(k8sClient.Update(ctx, mc)).To(Succeed())
		}
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// configMapJSON is a ConfigMap of test-namespace whose data.version is version.
func configMapJSON(name, version string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"namespace":"test-namespace"},"data":{"version":%q}}`, name, version)
}

func masterName(crp string, index int) string {
	return fmt.Sprintf(placementv1beta1.ResourceSnapshotNameFmt, crp, index)
}

// createSnapshot does what the placement controller does for one snapshot
// of group index: the master (sub < 0) announcing count snapshots, or the
// sub-snapshot sub. It holds one ConfigMap per name, with the index as
// data.version.
func createSnapshot(crp string, index, sub, count int, names ...string) {
	GinkgoHelper()
	s := &placementv1beta1.ClusterResourceSnapshot{
		ObjectMeta: metav1.ObjectMeta{
			Labels: map[string]string{
				placementv1beta1.PlacementTrackingLabel: crp,
				placementv1beta1.ResourceIndexLabel:     strconv.Itoa(index),
				placementv1beta1.IsLatestSnapshotLabel:  "true",
			},
		},
		Spec: placementv1beta1.ResourceSnapshotSpec{SelectedResources: []placementv1beta1.ResourceContent{}},
	}
	if sub < 0 {
		s.Name = masterName(crp, index)
		s.Annotations = map[string]string{
			placementv1beta1.ResourceGroupHashAnnotation:         fmt.Sprintf("hash-%d", index),
			placementv1beta1.NumberOfResourceSnapshotsAnnotation: strconv.Itoa(count),
			placementv1beta1.NumberOfEnvelopedObjectsAnnotation:  "0",
		}
	} else {
		s.Name = fmt.Sprintf(placementv1beta1.ResourceSnapshotNameWithSubindexFmt, crp, index, sub)
		s.Annotations = map[string]string{placementv1beta1.SubindexOfResourceSnapshotAnnotation: strconv.Itoa(sub)}
	}
	for _, n := range names {
		s.Spec.SelectedResources = append(s.Spec.SelectedResources,
			placementv1beta1.ResourceContent{RawExtension: runtime.RawExtension{Raw: configMapJSON(n, strconv.Itoa(index))}})
	}
	Expect(k8sClient.Create(ctx, s)).To(Succeed())
}

func bindingName(crp, cluster string) string {
	return crp + "-" + cluster + "-0a1b2c3d"
}

// createBoundBinding does what the scheduler and a rollout do: a binding of
// crp on cluster, Bound to the master snapshot of group index with the apply
// strategy. It does not write RolloutStarted.
func createBoundBinding(crp, cluster string, index int, strategy *placementv1beta1.ApplyStrategy) string {
	GinkgoHelper()
	return createBinding(newBoundBinding(crp, cluster, index, strategy))
}

// newBoundBinding is the binding createBoundBinding creates.
func newBoundBinding(crp, cluster string, index int, strategy *placementv1beta1.ApplyStrategy) *placementv1beta1.ClusterResourceBinding {
	return &placementv1beta1.ClusterResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:   bindingName(crp, cluster),
			Labels: map[string]string{placementv1beta1.PlacementTrackingLabel: crp},
		},
		Spec: placementv1beta1.ResourceBindingSpec{
			State:                        placementv1beta1.BindingStateBound,
			ResourceSnapshotName:         masterName(crp, index),
			SchedulingPolicySnapshotName: crp + "-0",
			TargetCluster:                cluster,
			ClusterDecision:              placementv1beta1.ClusterDecision{ClusterName: cluster, Selected: true, Reason: "picked by the test"},
			ApplyStrategy:                strategy,
		},
	}
}

// createBinding creates b and lets it go when the spec ends.
func createBinding(b *placementv1beta1.ClusterResourceBinding) string {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, b)).To(Succeed())
	DeferCleanup(func() { forgetBinding(b.Name) })
	return b.Name
}

// createPlacement creates a placement named crp with the rollout strategy
// type; the work generator only reads that type.
func createPlacement(crp string, strategy placementv1beta1.RolloutStrategyType) {
	GinkgoHelper()
	p := &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: crp},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{{Version: "v1", Kind: "Namespace", Name: crp}},
			Strategy:          placementv1beta1.RolloutStrategy{Type: strategy},
		},
	}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, p))).To(Succeed()) })
}

// forgetBinding deletes a binding and lets it go without waiting for its Works.
func forgetBinding(name string) {
	GinkgoHelper()
	b := &placementv1beta1.ClusterResourceBinding{ObjectMeta: metav1.ObjectMeta{Name: name}}
	Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, b))).To(Succeed())
	Eventually(func(g Gomega) {
		err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, b)
		if apierrors.IsNotFound(err) {
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		b.Finalizers = nil
		g.Expect(k8sClient.Update(ctx, b)).To(Succeed())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// updateBinding applies mutate to the binding (its status too when status
// is set), retrying on conflicts with the controller.
func updateBinding(name string, status bool, mutate func(*placementv1beta1.ClusterResourceBinding)) {
	GinkgoHelper()
	Eventually(func() error {
		b := &placementv1beta1.ClusterResourceBinding{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, b); err != nil {
			return err
		}
		mutate(b)
		if status {
			return k8sClient.Status().Update(ctx, b)
		}
		return k8sClient.Update(ctx, b)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// setRolloutStarted does what a rollout does once it has decided about the
// binding's current generation: RolloutStarted with status at that generation.
func setRolloutStarted(name string, status metav1.ConditionStatus) {
	GinkgoHelper()
	reason := placementv1beta1.BindingRolloutStartedReason
	if status == metav1.ConditionFalse {
		reason = placementv1beta1.BindingRolloutNotStartedYetReason
	}
	updateBinding(name, true, func(b *placementv1beta1.ClusterResourceBinding) {
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
			Type:               string(placementv1beta1.ResourceBindingRolloutStarted),
			Status:             status,
			Reason:             reason,
			Message:            "written by the test",
			ObservedGeneration: b.Generation,
		})
	})
}

// bindTo does what a rollout does to move a binding to another snapshot
// group: the spec first, then RolloutStarted True at the new generation.
func bindTo(name string, crp string, index int) {
	GinkgoHelper()
	updateBinding(name, false, func(b *placementv1beta1.ClusterResourceBinding) {
		b.Spec.ResourceSnapshotName = masterName(crp, index)
	})
	setRolloutStarted(name, metav1.ConditionTrue)
}

func getBinding(g Gomega, name string) *placementv1beta1.ClusterResourceBinding {
	b := &placementv1beta1.ClusterResourceBinding{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, b)).To(Succeed())
	return b
}

// conditionsOf returns what a user reads on a binding's conditions, by
// type: "Status/Reason", marked "(stale)" when written for an older
// generation.
func conditionsOf(name string) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		return conditionView(getBinding(g, name))
	}
}

// conditionView is what conditionsOf shows of a binding.
func conditionView(b *placementv1beta1.ClusterResourceBinding) map[string]string {
	out := map[string]string{}
	for _, c := range b.Status.Conditions {
		v := fmt.Sprintf("%s/%s", c.Status, c.Reason)
		if c.ObservedGeneration != b.Generation {
			v += "(stale)"
		}
		out[c.Type] = v
	}
	return out
}

// watchConditions watches a binding until the spec ends, and returns what
// it has shown so far: every distinct conditionsOf view in the order the
// binding's versions showed them.
func watchConditions(name string) func() []map[string]string {
	GinkgoHelper()
	w, err := watchClient.Watch(ctx, &placementv1beta1.ClusterResourceBindingList{}, client.MatchingFields{"metadata.name": name})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.Stop)
	var mu sync.Mutex
	var seen []map[string]string
	go func() {
		defer GinkgoRecover()
		for e := range w.ResultChan() {
			b, ok := e.Object.(*placementv1beta1.ClusterResourceBinding)
			if !ok {
				continue
			}
			v := conditionView(b)
			mu.Lock()
			if len(seen) == 0 || !maps.Equal(seen[len(seen)-1], v) {
				seen = append(seen, v)
			}
			mu.Unlock()
		}
	}()
	return func() []map[string]string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// conditionOf returns one of a binding's conditions, nil when it has none.
func conditionOf(name string, t placementv1beta1.ResourceBindingConditionType) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		return meta.FindStatusCondition(getBinding(g, name).Status.Conditions, string(t))
	}
}

// Condition values as conditionsOf shows them.
var (
	rolloutStarted     = fmt.Sprintf("True/%s", placementv1beta1.BindingRolloutStartedReason)
	noOverride         = fmt.Sprintf("True/%s", placementv1beta1.BindingOverrideNotSpecifiedReason)
	workSynced         = fmt.Sprintf("True/%s", placementv1beta1.BindingAllWorkSyncedReason)
	applyInProgress    = fmt.Sprintf("False/%s", placementv1beta1.BindingApplyInProgressReason)
	allApplied         = fmt.Sprintf("True/%s", placementv1beta1.BindingAllWorkAppliedReason)
	allAvailable       = fmt.Sprintf("True/%s", placementv1beta1.BindingAllWorkAvailableReason)
	notAllApplied      = fmt.Sprintf("False/%s", placementv1beta1.BindingNotAllWorkAppliedReason)
	workNotSyncedYet   = fmt.Sprintf("False/%s", placementv1beta1.BindingWorkNotSynchronizedYetReason)
	syncFailed         = fmt.Sprintf("False/%s", placementv1beta1.BindingSyncWorkFailedReason)
	diffInProgress     = fmt.Sprintf("False/%s", placementv1beta1.BindingDiffReportInProgressReason)
	allDiffReported    = fmt.Sprintf("True/%s", placementv1beta1.BindingAllWorkDiffReportedReason)
	rolloutNotStarted  = fmt.Sprintf("False/%s", placementv1beta1.BindingRolloutNotStartedYetReason)
	appliedAndReported = map[string]string{
		string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutStarted,
		string(placementv1beta1.ResourceBindingOverridden):       noOverride,
		string(placementv1beta1.ResourceBindingWorkSynchronized): workSynced,
		string(placementv1beta1.ResourceBindingApplied):          allApplied,
		string(placementv1beta1.ResourceBindingAvailable):        allAvailable,
	}
	beingApplied = map[string]string{
		string(placementv1beta1.ResourceBindingRolloutStarted):   rolloutStarted,
		string(placementv1beta1.ResourceBindingOverridden):       noOverride,
		string(placementv1beta1.ResourceBindingWorkSynchronized): workSynced,
		string(placementv1beta1.ResourceBindingApplied):          applyInProgress,
	}
)

// workView is what a member agent reads on a Work.
type workView struct {
	Binding, Placement, Index, Snapshot string
	// Manifests are "<namespace>/<name>=<data.version>" per ConfigMap, in order.
	Manifests []string
	// Strategy is the apply strategy's type, "" without one.
	Strategy placementv1beta1.ApplyStrategyType
	// Owned is true when the Work has owner references.
	Owned bool
}

// viewOf returns a view of a Work, nil when there is none.
func viewOf(w *placementv1beta1.Work) *workView {
	v := &workView{
		Binding:   w.Labels[placementv1beta1.ParentBindingLabel],
		Placement: w.Labels[placementv1beta1.PlacementTrackingLabel],
		Index:     w.Labels[placementv1beta1.ParentResourceSnapshotIndexLabel],
		Snapshot:  w.Annotations[placementv1beta1.ParentResourceSnapshotNameAnnotation],
		Owned:     len(w.OwnerReferences) > 0,
	}
	if w.Spec.ApplyStrategy != nil {
		v.Strategy = w.Spec.ApplyStrategy.Type
	}
	for _, m := range w.Spec.Workload.Manifests {
		var cm corev1.ConfigMap
		Expect(json.Unmarshal(m.Raw, &cm)).To(Succeed())
		v.Manifests = append(v.Manifests, fmt.Sprintf("%s/%s=%s", cm.Namespace, cm.Name, cm.Data["version"]))
	}
	return v
}

// worksOf returns views of the Works in a member's namespace by name.
func worksOf(cluster string) func(Gomega) map[string]*workView {
	return func(g Gomega) map[string]*workView {
		list := &placementv1beta1.WorkList{}
		g.Expect(k8sClient.List(ctx, list, client.InNamespace(memberNamespace(cluster)))).To(Succeed())
		out := map[string]*workView{}
		for i := range list.Items {
			out[list.Items[i].Name] = viewOf(&list.Items[i])
		}
		return out
	}
}

// expectedWork is the view of a Work of binding of crp built from group index.
func expectedWork(binding, crp string, index int, strategy placementv1beta1.ApplyStrategyType, manifests ...string) *workView {
	return &workView{
		Binding: binding, Placement: crp, Index: strconv.Itoa(index), Snapshot: masterName(crp, index),
		Manifests: manifests, Strategy: strategy,
	}
}

// manifestsAt are the manifest views of ConfigMaps of group index.
func manifestsAt(index int, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("test-namespace/%s=%d", n, index)
	}
	return out
}

// reportWork does what the member agent does after processing a Work:
// mutate writes its status, with conditions at the Work's generation.
func reportWork(cluster, name string, mutate func(*placementv1beta1.Work)) {
	GinkgoHelper()
	Eventually(func() error {
		w := &placementv1beta1.Work{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace(cluster), Name: name}, w); err != nil {
			return err
		}
		mutate(w)
		return k8sClient.Status().Update(ctx, w)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// workCondition is a Work condition at the Work's generation.
func workCondition(w *placementv1beta1.Work, t placementv1beta1.WorkConditionType, s metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: string(t), Status: s, Reason: reason, Message: "reported by the test", ObservedGeneration: w.Generation, LastTransitionTime: metav1.Now()}
}

// appliedAndAvailable reports every manifest of a Work applied and available.
func appliedAndAvailable(w *placementv1beta1.Work) {
	w.SetConditions(
		workCondition(w, placementv1beta1.WorkConditionTypeApplied, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAppliedReason),
		workCondition(w, placementv1beta1.WorkConditionTypeAvailable, metav1.ConditionTrue, placementv1beta1.WorkAllManifestsAvailableReason),
	)
}

// updateWork applies mutate to a Work's metadata or spec.
func updateWork(cluster, name string, mutate func(*placementv1beta1.Work)) {
	GinkgoHelper()
	Eventually(func() error {
		w := &placementv1beta1.Work{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: memberNamespace(cluster), Name: name}, w); err != nil {
			return err
		}
		mutate(w)
		return k8sClient.Update(ctx, w)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// workNames returns the sorted names of the Works in a member's namespace.
func workNames(cluster string) func(Gomega) []string {
	return func(g Gomega) []string {
		var names []string
		for n := range worksOf(cluster)(g) {
			names = append(names, n)
		}
		slices.Sort(names)
		return names
	}
}
