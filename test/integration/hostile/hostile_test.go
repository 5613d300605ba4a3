package hostile

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

const (
	// appNamespace is an ordinary namespace with a service account token
	// among its objects.
	appNamespace = "hostile-app"
	// target is an External placement of appNamespace, scheduled on member1,
	// that the update runs of the table roll out.
	target = "rollout-target"
	// mallory may create placements, ClusterRoles and ClusterRoleBindings on
	// the hub, and nothing else.
	mallory = "mallory"
	// malloryRole is the ClusterRole that grants her that.
	malloryRole = "placement-author"
	// notHeld is how the API server refuses RBAC that grants more than its author holds.
	notHeld = "is attempting to grant RBAC permissions not currently held"
	// kubeReserved and fleetReserved say why reserved namespaces are never placed.
	kubeReserved  = "namespaces starting with kube- are reserved for Kubernetes and fleet"
	fleetReserved = "namespaces starting with fleet- are reserved for Kubernetes and fleet"
)

var _ = Describe("Hostile and malformed input to the hub", Ordered, ContinueOnFailure, func() {
	var asMallory client.Client

	BeforeAll(func() {
		By("joining member1, whose hub namespace is fleet-member-member1")
		joinMember("member1", map[string]string{"environment": "canary"})

		By("creating fleet-system, where the hub agent runs, and an application namespace with a service account token")
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fleet-system"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appNamespace}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: "app-config"}, Data: map[string]string{"key": "value"},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, secret(appNamespace, "app-secret", corev1.SecretTypeOpaque, nil))).To(Succeed())
		Expect(k8sClient.Create(ctx, secret(appNamespace, "builder-token", corev1.SecretTypeServiceAccountToken,
			map[string]string{corev1.ServiceAccountNameKey: "builder"}))).To(Succeed())

		By("placing the application namespace with an External placement, scheduled on member1")
		Expect(k8sClient.Create(ctx, &placementv1beta1.ClusterResourcePlacement{
			ObjectMeta: metav1.ObjectMeta{Name: target},
			Spec: placementv1beta1.PlacementSpec{
				ResourceSelectors: []placementv1beta1.ResourceSelectorTerm{namespaceByName(appNamespace)},
				Policy:            &placementv1beta1.PlacementPolicy{PlacementType: placementv1beta1.PickAllPlacementType},
				Strategy:          placementv1beta1.RolloutStrategy{Type: placementv1beta1.ExternalRolloutStrategyType},
			},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			bindings := &placementv1beta1.ClusterResourceBindingList{}
			g.Expect(k8sClient.List(ctx, bindings, client.MatchingLabels{placementv1beta1.PlacementTrackingLabel: target})).To(Succeed())
			g.Expect(bindings.Items).To(ConsistOf(HaveField("Spec.TargetCluster", "member1")))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())

		By("letting mallory write placements, ClusterRoles and ClusterRoleBindings, and nothing else")
		verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
		Expect(k8sClient.Create(ctx, clusterRole(malloryRole,
			rbacv1.PolicyRule{APIGroups: []string{placementv1beta1.GroupVersion.Group}, Resources: []string{"clusterresourceplacements"}, Verbs: verbs},
			rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles", "clusterrolebindings"}, Verbs: verbs},
		))).To(Succeed())
		Expect(k8sClient.Create(ctx, bindUser(malloryRole, malloryRole, mallory))).To(Succeed())
		asMallory = impersonating(mallory)

		By("checking that mallory may create RBAC within her own rights, so that a refusal below is the escalation check")
		Eventually(func() error {
			return asMallory.Create(ctx, clusterRole("placement-reader", rbacv1.PolicyRule{
				APIGroups: []string{placementv1beta1.GroupVersion.Group}, Resources: []string{"clusterresourceplacements"}, Verbs: []string{"get", "list"},
			}))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		Expect(asMallory.Create(ctx, bindUser("bob-reads-placements", "placement-reader", "bob"))).To(Succeed())
	})

	DescribeTable("each gets a clear rejection or condition",
		func(c hostileCase) { c.run() },

		// CEL rules cannot be bypassed by the way a change is sent.
		Entry("changing an update run's placementName with an update is refused", hostileCase{
			attempt: func() error {
				return updateRun(newRun(), func(r *placementv1beta1.ClusterStagedUpdateRun) { r.Spec.PlacementName = "other" })
			},
			rejection: invalid("placementName is immutable: create a new update run for another placement"),
		}),
		Entry("changing an update run's placementName with a merge patch is refused", hostileCase{
			attempt:   func() error { return mergePatchRun(newRun(), `{"spec":{"placementName":"other"}}`) },
			rejection: invalid("placementName is immutable: create a new update run for another placement"),
		}),
		Entry("changing an update run's placementName by server-side apply under another field manager, forcing conflicts, is refused", hostileCase{
			attempt: func() error {
				return applyAs("hostile-tool", "ClusterStagedUpdateRun", newRun(), map[string]any{
					"placementName": "other", "resourceSnapshotIndex": "1", "stagedRolloutStrategyName": "no-such-strategy",
				})
			},
			rejection: invalid("placementName is immutable: create a new update run for another placement"),
		}),
		Entry("changing an update run's resourceSnapshotIndex with an update is refused", hostileCase{
			attempt: func() error {
				return updateRun(newRun(), func(r *placementv1beta1.ClusterStagedUpdateRun) { r.Spec.ResourceSnapshotIndex = "0" })
			},
			rejection: invalid("resourceSnapshotIndex is immutable: create a new update run to roll out another snapshot"),
		}),
		Entry("removing an update run's resourceSnapshotIndex with a merge patch is refused", hostileCase{
			attempt:   func() error { return mergePatchRun(newRun(), `{"spec":{"resourceSnapshotIndex":null}}`) },
			rejection: invalid("resourceSnapshotIndex is immutable: create a new update run to roll out another snapshot"),
		}),
		Entry("changing an update run's resourceSnapshotIndex by server-side apply under another field manager is refused", hostileCase{
			attempt: func() error {
				return applyAs("hostile-tool", "ClusterStagedUpdateRun", newRun(), map[string]any{
					"placementName": "no-such-placement", "resourceSnapshotIndex": "0", "stagedRolloutStrategyName": "no-such-strategy",
				})
			},
			rejection: invalid("resourceSnapshotIndex is immutable: create a new update run to roll out another snapshot"),
		}),
		Entry("changing an update run's stagedRolloutStrategyName with an update is refused", hostileCase{
			attempt: func() error {
				return updateRun(newRun(), func(r *placementv1beta1.ClusterStagedUpdateRun) { r.Spec.StagedUpdateStrategyName = "other" })
			},
			rejection: invalid("stagedRolloutStrategyName is immutable: create a new update run to use another strategy"),
		}),
		Entry("changing an update run's stagedRolloutStrategyName with a JSON patch is refused", hostileCase{
			attempt: func() error {
				return rawPatch(&placementv1beta1.ClusterStagedUpdateRun{ObjectMeta: metav1.ObjectMeta{Name: newRun()}}, k8stypes.JSONPatchType,
					`[{"op":"replace","path":"/spec/stagedRolloutStrategyName","value":"other"}]`)
			},
			rejection: invalid("stagedRolloutStrategyName is immutable: create a new update run to use another strategy"),
		}),
		Entry("changing an update run's stagedRolloutStrategyName by server-side apply under another field manager is refused", hostileCase{
			attempt: func() error {
				return applyAs("hostile-tool", "ClusterStagedUpdateRun", newRun(), map[string]any{
					"placementName": "no-such-placement", "resourceSnapshotIndex": "1", "stagedRolloutStrategyName": "other",
				})
			},
			rejection: invalid("stagedRolloutStrategyName is immutable: create a new update run to use another strategy"),
		}),
		Entry("changing an update run's spec through the status subresource is accepted and ignored", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() error {
					name = newRun()
					return retryStatusUpdate(name, func(r *placementv1beta1.ClusterStagedUpdateRun) {
						r.Spec.PlacementName, r.Spec.ResourceSnapshotIndex, r.Spec.StagedUpdateStrategyName = "other", "0", "other"
					})
				},
				outcome: func(g Gomega) {
					g.Expect(getRun(g, name).Spec).To(Equal(placementv1beta1.UpdateRunSpec{
						PlacementName: "no-such-placement", ResourceSnapshotIndex: "1", StagedUpdateStrategyName: "no-such-strategy",
					}))
				},
			}
		}()),
		Entry("moving a running update run back to Initialize is refused", hostileCase{
			attempt:   func() error { return mergePatchRun(newRun(), `{"spec":{"state":"Initialize"}}`) },
			rejection: invalid("invalid state transition: cannot transition from Run to Initialize; set state to Stop to pause the run"),
		}),
		Entry("retargeting an approval request at another stage is refused", hostileCase{
			attempt: func() error {
				request := &placementv1beta1.ClusterApprovalRequest{
					ObjectMeta: metav1.ObjectMeta{Name: uniqueName("approval")},
					Spec:       placementv1beta1.ApprovalRequestSpec{TargetUpdateRun: "run", TargetStage: "canary"},
				}
				Expect(k8sClient.Create(ctx, request)).To(Succeed())
				return rawPatch(request, k8stypes.MergePatchType, `{"spec":{"targetStage":"prod"}}`)
			},
			rejection: invalid("The spec field is immutable"),
		}),
		Entry("turning an External placement into a RollingUpdate one, to skip its update runs, by server-side apply is refused", hostileCase{
			attempt: func() error {
				name, err := createPlacement(k8sClient, namespaceByName(appNamespace))
				Expect(err).NotTo(HaveOccurred())
				return applyAs("hostile-tool", "ClusterResourcePlacement", name, map[string]any{
					"resourceSelectors": []any{map[string]any{"group": "", "version": "v1", "kind": "Namespace", "name": appNamespace}},
					"policy":            map[string]any{"placementType": "PickAll"},
					"strategy":          map[string]any{"type": "RollingUpdate"},
				})
			},
			rejection: invalid("cannot change rollout strategy type from 'External' to other types"),
		}),
		Entry("removing a placement's policy with a JSON patch is refused", hostileCase{
			attempt: func() error {
				name, err := createPlacement(k8sClient, namespaceByName(appNamespace))
				Expect(err).NotTo(HaveOccurred())
				return rawPatch(&placementv1beta1.ClusterResourcePlacement{ObjectMeta: metav1.ObjectMeta{Name: name}}, k8stypes.JSONPatchType,
					`[{"op":"remove","path":"/spec/policy"}]`)
			},
			rejection: invalid("policy cannot be removed once set"),
		}),

		// Oversized and out-of-range values.
		Entry("a MemberCluster label value longer than 63 characters is refused", hostileCase{
			attempt: func() error {
				return k8sClient.Create(ctx, &clusterv1beta1.MemberCluster{
					ObjectMeta: metav1.ObjectMeta{Name: uniqueName("member"), Labels: map[string]string{"environment": strings.Repeat("a", 64)}},
					Spec: clusterv1beta1.MemberClusterSpec{
						Identity: rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "agent"},
					},
				})
			},
			rejection: invalid("must be no more than 63 bytes"),
		}),
		Entry("a stage whose labelSelector value is longer than 63 characters fails its update run, naming the stage", func() hostileCase {
			var run string
			return hostileCase{
				attempt: func() (err error) {
					run, err = createRunWithStrategy(target, "      labelSelector:\n        matchLabels:\n          environment: "+strings.Repeat("a", 64)+"\n")
					return err
				},
				outcome: runFailsToInitialize(&run, `stage "canary" has an invalid labelSelector: `, "must be no more than 63 bytes"),
			}
		}()),
		Entry("a stage whose labelSelector has an unknown operator fails its update run, naming the stage", func() hostileCase {
			var run string
			return hostileCase{
				attempt: func() (err error) {
					run, err = createRunWithStrategy(target, "      labelSelector:\n        matchExpressions:\n          - {key: environment, operator: Like, values: [can]}\n")
					return err
				},
				outcome: runFailsToInitialize(&run, `stage "canary" has an invalid labelSelector: `, `"Like" is not a valid label selector operator`),
			}
		}()),
		Entry("a strategy with 1000 stages is refused", hostileCase{
			attempt:   func() error { return create(uniqueName("strategy"), strategyWithStages(1000)) },
			rejection: invalid("spec.stages: Too many: 1000: must have at most 31 items"),
		}),
		Entry("a maxConcurrency beyond 32 bits, which no client could decode, is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("strategy"), strategyWithStage("      maxConcurrency: 2147483648\n"))
			},
			rejection: invalid(`maxConcurrency must be at most 2147483647; use "100%" to update every cluster of the stage at once`),
		}),
		Entry("a maxConcurrency beyond 64 bits is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("strategy"), strategyWithStage("      maxConcurrency: 100000000000000000000000000000\n"))
			},
			rejection: invalid("spec.stages[0].maxConcurrency in body must be of type integer,string"),
		}),
		Entry("a maxConcurrency percentage of 22 digits is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("strategy"), strategyWithStage(`      maxConcurrency: "1000000000000000000000%"`+"\n"))
			},
			rejection: invalid(`spec.stages[0].maxConcurrency in body should match '^(100|[1-9][0-9]?)%$'`),
		}),
		Entry("a negative waitTime is refused", hostileCase{
			attempt:   func() error { return create(uniqueName("strategy"), strategyWithStage(timedWait("-1m"))) },
			rejection: invalid("spec.stages[0].afterStageTasks[0].waitTime in body should match"),
		}),
		Entry("a waitTime too long for a Go duration, which no client could decode, is refused", hostileCase{
			attempt:   func() error { return create(uniqueName("strategy"), strategyWithStage(timedWait("9999999999h"))) },
			rejection: invalid("waitTime must be at most 2562047h, the longest wait Fleet can hold"),
		}),
		Entry("a waitTime of 5000 terms is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("strategy"), strategyWithStage(timedWait(strings.Repeat("1h", 5000))))
			},
			rejection: invalid("spec.stages[0].afterStageTasks[0].waitTime: Too long: may not be more than 32 bytes"),
		}),
		Entry("a placement's maxUnavailable beyond 32 bits is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("crp"), placementWithRollingUpdate("      maxUnavailable: 2147483648\n"))
			},
			rejection: invalid("maxUnavailable must be between 0 and 2147483647 clusters"),
		}),
		Entry("a negative maxUnavailable is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("crp"), placementWithRollingUpdate("      maxUnavailable: -1\n"))
			},
			rejection: invalid("maxUnavailable must be between 0 and 2147483647 clusters"),
		}),
		Entry("a placement's maxSurge beyond 32 bits is refused", hostileCase{
			attempt: func() error {
				return create(uniqueName("crp"), placementWithRollingUpdate("      maxSurge: 2147483648\n"))
			},
			rejection: invalid("maxSurge must be between 0 and 2147483647 clusters"),
		}),

		// What a placement never propagates.
		Entry("a placement of kube-system is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) { name, err = createPlacement(k8sClient, namespaceByName("kube-system")); return err },
				outcome: selectorRefused(&name, `resourceSelectors[0] selects Namespace "kube-system", which is never placed: `+kubeReserved),
			}
		}()),
		Entry("a placement of fleet-system is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, namespaceByName("fleet-system"))
					return err
				},
				outcome: selectorRefused(&name, `resourceSelectors[0] selects Namespace "fleet-system", which is never placed: `+fleetReserved),
			}
		}()),
		Entry("a placement of a member's hub namespace is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, namespaceByName("fleet-member-member1"))
					return err
				},
				outcome: selectorRefused(&name, `resourceSelectors[0] selects Namespace "fleet-member-member1", which is never placed: `+fleetReserved),
			}
		}()),
		Entry("a placement of a reserved namespace that does not exist yet is refused all the same", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, namespaceByName("fleet-not-yet"))
					return err
				},
				outcome: selectorRefused(&name, `resourceSelectors[0] selects Namespace "fleet-not-yet", which is never placed: `+fleetReserved),
			}
		}()),
		Entry("a placement of ClusterResourcePlacements is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, placementv1beta1.ResourceSelectorTerm{
						Group: placementv1beta1.GroupVersion.Group, Version: "v1beta1", Kind: "ClusterResourcePlacement", Name: target,
					})
					return err
				},
				outcome: selectorRefused(&name, "resourceSelectors[0] selects clusterresourceplacements.placement.kubernetes-fleet.io, which is never placed: fleet's own objects stay on the hub"),
			}
		}()),
		Entry("a placement of MemberClusters is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, placementv1beta1.ResourceSelectorTerm{
						Group: clusterv1beta1.GroupVersion.Group, Version: "v1beta1", Kind: "MemberCluster",
						LabelSelector: &metav1.LabelSelector{},
					})
					return err
				},
				outcome: selectorRefused(&name, "resourceSelectors[0] selects memberclusters.cluster.kubernetes-fleet.io, which is never placed: fleet's own objects stay on the hub"),
			}
		}()),
		Entry("a service account token in a placed namespace is left out of the snapshot", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) { name, err = createPlacement(k8sClient, namespaceByName(appNamespace)); return err },
				outcome: snapshotHolds(&name, "Namespace//"+appNamespace, "ConfigMap/"+appNamespace+"/app-config", "Secret/"+appNamespace+"/app-secret"),
			}
		}()),
		Entry("a service account token named outright is refused on the placement, with the reason", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient,
						placementv1beta1.ResourceSelectorTerm{Group: "", Version: "v1", Kind: "Namespace", Name: appNamespace,
							SelectionScope: placementv1beta1.NamespaceWithResourceSelectors},
						placementv1beta1.ResourceSelectorTerm{Group: "", Version: "v1", Kind: "Secret", Name: "builder-token"})
					return err
				},
				outcome: selectorRefused(&name, `resourceSelectors[1] selects Secret "builder-token" in namespace "`+appNamespace+`", which is never placed: service account tokens are issued by each cluster`),
			}
		}()),
		Entry("reserved namespaces picked by a label selector are left out of the snapshot", func() hostileCase {
			var name string
			return hostileCase{
				attempt: func() (err error) {
					name, err = createPlacement(k8sClient, placementv1beta1.ResourceSelectorTerm{
						Group: "", Version: "v1", Kind: "Namespace", SelectionScope: placementv1beta1.NamespaceOnly,
						LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
							Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn,
							Values: []string{"kube-system", "kube-public", "fleet-system", "fleet-member-member1", appNamespace},
						}}},
					})
					return err
				},
				outcome: snapshotHolds(&name, "Namespace//"+appNamespace),
			}
		}()),

		// RBAC escalation by a user who may write placements and RBAC.
		Entry("mallory binding herself to cluster-admin is forbidden", hostileCase{
			attempt: func() error {
				return asMallory.Create(ctx, bindUser(uniqueName("mallory-admin"), "cluster-admin", mallory))
			},
			rejection: forbidden(notHeld),
		}),
		Entry("mallory creating a ClusterRole with every verb on every resource is forbidden", hostileCase{
			attempt: func() error {
				return asMallory.Create(ctx, clusterRole(uniqueName("everything"),
					rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}))
			},
			rejection: forbidden(notHeld),
		}),
		Entry("mallory widening her own ClusterRole to read Secrets is forbidden", hostileCase{
			attempt: func() error {
				role := &rbacv1.ClusterRole{}
				Expect(asMallory.Get(ctx, client.ObjectKey{Name: malloryRole}, role)).To(Succeed())
				role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
				return asMallory.Update(ctx, role)
			},
			rejection: forbidden(notHeld),
		}),
		Entry("mallory creating a ClusterRole that aggregates other roles is forbidden", hostileCase{
			attempt: func() error {
				role := clusterRole(uniqueName("aggregated"))
				role.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
					MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
				}}}
				return asMallory.Create(ctx, role)
			},
			rejection: forbidden("must have cluster-admin privileges to use the aggregationRule"),
		}),
	)
})
