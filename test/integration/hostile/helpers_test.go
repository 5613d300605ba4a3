package hostile

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/test/integration/framework"
)

// hostileCase is one row of the table: a request a user should not be able
// to get through, and how the hub answers it.
type hostileCase struct {
	// attempt makes the request and returns the API server's answer.
	attempt func() error
	// rejection matches the error of a request the API server refuses; nil
	// when the API server accepts the request and outcome tells the rest.
	rejection types.GomegaMatcher
	// outcome checks what the hub made of an accepted request; it is retried
	// until it holds.
	outcome func(g Gomega)
}

func (c hostileCase) run() {
	GinkgoHelper()
	err := c.attempt()
	if c.rejection != nil {
		Expect(err).To(c.rejection)
		return
	}
	Expect(err).NotTo(HaveOccurred())
	Eventually(c.outcome).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// invalid matches the API server's 422 answer carrying message.
func invalid(message string) types.GomegaMatcher {
	return And(
		WithTransform(apierrors.IsInvalid, BeTrue()),
		MatchError(ContainSubstring(message)),
	)
}

// forbidden matches the API server's 403 answer carrying message.
func forbidden(message string) types.GomegaMatcher {
	return And(
		WithTransform(apierrors.IsForbidden, BeTrue()),
		MatchError(ContainSubstring(message)),
	)
}

var nameCounter atomic.Int64

// uniqueName returns prefix followed by a number no other call returns.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameCounter.Add(1))
}

// create creates the object a manifest describes, named name, and returns
// the API server's answer.
func create(name, manifest string) error {
	GinkgoHelper()
	obj := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal([]byte(manifest), &obj.Object)).To(Succeed())
	obj.SetName(name)
	return k8sClient.Create(ctx, obj)
}

// newRun creates an update run whose placement and strategy do not exist,
// so that the controller only reports it failed and never rolls anything
// out, and returns its name.
func newRun() string {
	GinkgoHelper()
	name := uniqueName("run")
	Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.UpdateRunSpec{
			PlacementName:            "no-such-placement",
			ResourceSnapshotIndex:    "1",
			StagedUpdateStrategyName: "no-such-strategy",
		},
	})).To(Succeed())
	return name
}

// updateRun changes a run with a full update, retrying when the controller
// wrote the run in between, and returns the API server's last answer.
func updateRun(name string, change func(*placementv1beta1.ClusterStagedUpdateRun)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		run := &placementv1beta1.ClusterStagedUpdateRun{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Name: name}, run); err != nil {
			return err
		}
		change(run)
		return k8sClient.Update(ctx, run)
	})
}

// retryStatusUpdate changes a run and writes it through the status
// subresource, retrying when the controller wrote the run in between, and
// returns the API server's last answer.
func retryStatusUpdate(name string, change func(*placementv1beta1.ClusterStagedUpdateRun)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		run := &placementv1beta1.ClusterStagedUpdateRun{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Name: name}, run); err != nil {
			return err
		}
		change(run)
		return k8sClient.Status().Update(ctx, run)
	})
}

// rawPatch sends a patch of the given type, as kubectl patch --type does.
func rawPatch(obj client.Object, pt k8stypes.PatchType, patch string) error {
	return k8sClient.Patch(ctx, obj, client.RawPatch(pt, []byte(patch)))
}

// mergePatchRun sends a JSON merge patch of a run, as kubectl patch
// --type=merge does.
func mergePatchRun(name, patch string) error {
	return rawPatch(&placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Name: name}}, k8stypes.MergePatchType, patch)
}

// applyAs server-side applies the given spec of an object of kind, named
// name, under another field manager than the one that created it, taking
// over every field it sets.
func applyAs(manager, kind, name string, spec map[string]any) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": placementv1beta1.GroupVersion.String(),
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}}
	return k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(manager), client.ForceOwnership)
}

// getRun reads an update run.
func getRun(g Gomega, name string) *placementv1beta1.ClusterStagedUpdateRun {
	run := &placementv1beta1.ClusterStagedUpdateRun{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, run)).To(Succeed())
	return run
}

// runFailsToInitialize passes once the run reports Initialized=False with
// the controller's failure reason and a message containing each of messages.
func runFailsToInitialize(name *string, messages ...string) func(Gomega) {
	return func(g Gomega) {
		c := meta.FindStatusCondition(getRun(g, *name).Status.Conditions, string(placementv1beta1.StagedUpdateRunConditionInitialized))
		g.Expect(c).NotTo(BeNil(), "run %s has no Initialized condition", *name)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(placementv1beta1.UpdateRunInitializeFailedReason))
		for _, m := range messages {
			g.Expect(c.Message).To(ContainSubstring(m))
		}
	}
}

// createRunWithStrategy creates a strategy with one stage, canary,
// configured by stageBody (YAML lines indented for the stage), and a run of
// the placement with it, and returns the run's name.
func createRunWithStrategy(placement, stageBody string) (string, error) {
	strategy := uniqueName("strategy")
	if err := create(strategy, "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateStrategy\nspec:\n  stages:\n    - name: canary\n"+stageBody); err != nil {
		return "", err
	}
	run := uniqueName("run")
	return run, k8sClient.Create(ctx, &placementv1beta1.ClusterStagedUpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: run},
		Spec:       placementv1beta1.UpdateRunSpec{PlacementName: placement, StagedUpdateStrategyName: strategy},
	})
}

// strategyWithStages is a strategy manifest with n stages.
func strategyWithStages(n int) string {
	s := "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateStrategy\nspec:\n  stages:\n"
	for i := range n {
		s += fmt.Sprintf("    - name: stage%d\n", i)
	}
	return s
}

// strategyWithStage is a strategy manifest with one stage, s1, configured by
// stageBody.
func strategyWithStage(stageBody string) string {
	return "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateStrategy\nspec:\n  stages:\n    - name: s1\n" + stageBody
}

// timedWait is a stage body with a TimedWait after-stage task.
func timedWait(waitTime string) string {
	return "      afterStageTasks:\n        - type: TimedWait\n          waitTime: \"" + waitTime + "\"\n"
}

// placementWithRollingUpdate is a placement manifest with the given
// rollingUpdate settings (YAML lines indented for rollingUpdate).
func placementWithRollingUpdate(settings string) string {
	return `apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
spec:
  resourceSelectors:
    - {group: "", version: v1, kind: Namespace, name: hostile-app}
  strategy:
    type: RollingUpdate
    rollingUpdate:
` + settings
}

// createPlacement creates a PickAll ClusterResourcePlacement with the given
// selectors (External, so that nothing rolls out) and returns its name.
func createPlacement(c client.Client, selectors ...placementv1beta1.ResourceSelectorTerm) (string, error) {
	name := uniqueName("crp")
	return name, c.Create(ctx, &placementv1beta1.ClusterResourcePlacement{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: placementv1beta1.PlacementSpec{
			ResourceSelectors: selectors,
			Policy:            &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType},
			Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
		},
	})
}

// namespaceByName selects a namespace by name, with everything in it.
func namespaceByName(name string) placementv1beta1.ResourceSelectorTerm {
	return placementv1beta1.ResourceSelectorTerm{Group: "", Version: "v1", Kind: "Namespace", Name: name}
}

// selectorRefused passes once the placement reports that its selectors
// cannot be placed, with exactly message, and has no resource snapshot.
func selectorRefused(name *string, message string) func(Gomega) {
	return func(g Gomega) {
		crp := &placementv1beta1.ClusterResourcePlacement{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: *name}, crp)).To(Succeed())
		c := crp.GetCondition(string(placementv1beta1.ClusterResourcePlacementScheduled))
		g.Expect(c).NotTo(BeNil(), "placement %s has no Scheduled condition", *name)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(placementv1beta1.PlacementInvalidResourceSelectorsReason))
		g.Expect(c.Message).To(Equal(message))
		g.Expect(c.ObservedGeneration).To(Equal(crp.Generation))
		snapshots := &placementv1beta1.ClusterResourceSnapshotList{}
		g.Expect(k8sClient.List(ctx, snapshots, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: *name})).To(Succeed())
		g.Expect(snapshots.Items).To(BeEmpty(), "placement %s has resource snapshots", *name)
	}
}

// snapshotHolds passes once the placement's first resource snapshot exists
// and holds exactly the objects want names ("Kind/namespace/name").
func snapshotHolds(name *string, want ...string) func(Gomega) {
	return func(g Gomega) {
		snapshot := &placementv1beta1.ClusterResourceSnapshot{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: *name + "-0-snapshot"}, snapshot)).To(Succeed())
		var got []string
		for _, r := range snapshot.Spec.SelectedResources {
			obj := map[string]any{}
			g.Expect(json.Unmarshal(r.Raw, &obj)).To(Succeed())
			u := unstructured.Unstructured{Object: obj}
			got = append(got, u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName())
		}
		g.Expect(got).To(ConsistOf(want))
	}
}

// joinMember creates a member cluster and plays its agent's heartbeat, and
// waits until the hub counts it joined and healthy.
func joinMember(name string, labels map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: clusterv1beta1.MemberClusterSpec{
			Identity:               rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent-" + name},
			HeartbeatPeriodSeconds: 600,
		},
	})).To(Succeed())
	framework.Heartbeat(ctx, k8sClient, name, time.Now())
	Eventually(func(g Gomega) {
		mc := &clusterv1beta1.MemberCluster{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, mc)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterJoined))).To(BeTrue())
		g.Expect(meta.IsStatusConditionTrue(mc.Status.Conditions, string(clusterv1beta1.ConditionTypeMemberClusterHealthy))).To(BeTrue())
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
}

// impersonating returns a client that acts as user, an authenticated user
// in no other group.
func impersonating(user string) client.Client {
	GinkgoHelper()
	as := rest.CopyConfig(cfg)
	as.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	return framework.NewClient(as)
}

// clusterRole is a ClusterRole with the given rules.
func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

// bindUser binds user to the ClusterRole role.
func bindUser(name, role, user string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
}

// secret is a Secret of the given type in namespace.
func secret(namespace, name string, t corev1.SecretType, annotations map[string]string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: annotations},
		Type:       t,
		Data:       map[string][]byte{"token": []byte("not-a-real-token")},
	}
}
