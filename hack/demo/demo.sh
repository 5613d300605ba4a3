#!/usr/bin/env bash
# Plays the staged update run tutorial (rollout, then rollback) on a fresh
# local fleet: a hub and three member clusters on loopback, with the hub agent
# and one member agent per member running as separate processes.
#
# Every command the tutorial shows runs as written, with real kubectl, and
# its output is printed. Where the tutorial says "wait a little", the script
# waits for that state with `kubectl wait` (watch-based, never a fixed sleep).
# Each expectation the tutorial states is checked; the first one that does
# not hold stops the demo with a message and a non-zero exit code.
#
# Environment:
#   KEEP=1        leave the fleet running afterwards (stop it with `make local-down`)
#   FLEET_DIR     where the fleet keeps kubeconfigs and logs (default: .localfleet)
#   KUBECTL_DIR   directory holding the kubectl binary (default: the envtest toolchain)
#   WAIT_TIMEOUT  how long each wait may take (default: 3m)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${ROOT}"
FLEET_DIR="${FLEET_DIR:-${ROOT}/.localfleet}"
KUBECTL_DIR="${KUBECTL_DIR:-${ROOT}/bin/k8s/1.37.2-$(go env GOOS)-$(go env GOARCH)}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-3m}"
MEMBERS=(member1 member2 member3)
# bin/ holds kubectl-fleet, which kubectl runs as `kubectl fleet`.
export PATH="${KUBECTL_DIR}:${ROOT}/bin:${PATH}"

bold=$'\e[1m' dim=$'\e[2m' red=$'\e[31m' green=$'\e[32m' reset=$'\e[0m'
if [[ ! -t 1 ]]; then bold="" dim="" red="" green="" reset=""; fi

phases=()
phase_start=${SECONDS}
phase_name=""

# phase NAME starts a new timed phase of the demo.
phase() {
  end_phase
  phase_name="$1"
  phase_start=${SECONDS}
  printf '\n%s== %s ==%s\n' "${bold}" "$1" "${reset}"
}

end_phase() {
  if [[ -n "${phase_name}" ]]; then
    phases+=("$(printf '%-48s %4ds' "${phase_name}" "$((SECONDS - phase_start))")")
  fi
  phase_name=""
}

# show prints a command the way a user would type it.
show() { printf '%s$ %s%s\n' "${bold}" "$*" "${reset}"; }

# run prints a command, runs it and prints its output.
run() {
  show "$*"
  "$@"
}

# table prints a command, runs it, prints its output and keeps it in $out.
table() {
  show "$*"
  out="$("$@")"
  printf '%s\n' "${out}"
}

# await prints and runs a wait that stands for the tutorial's "wait a little".
await() {
  printf '%s# waiting: %s%s\n' "${dim}" "$*" "${reset}"
  "$@" >/dev/null
}

fail() {
  printf '\n%sDEMO FAILED: %s%s\n' "${red}" "$*" "${reset}" >&2
  printf 'Logs of the fleet processes: %s/logs\n' "${FLEET_DIR}" >&2
  exit 1
}

# expect_eq ACTUAL WANTED WHAT checks one expectation of the tutorial.
expect_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "$3: got '$1', want '$2'"
  fi
  printf '%s✔ %s%s\n' "${green}" "$3" "${reset}"
}

# column TABLE NAME prints the value of column NAME in the first data row of
# a kubectl table: kubectl aligns each value with its header, so an empty
# cell starts with a space.
column() {
  awk -v want="$2" 'NR == 1 { start = index($0, want); next }
    NR == 2 { v = substr($0, start); sub(/ .*/, "", v); print v; exit }' <<<"$1"
}

member_value() {
  kubectl --kubeconfig "${FLEET_DIR}/$1.kubeconfig" get configmap test-cm -n test-namespace -o jsonpath='{.data.key}'
}

stop_fleet() {
  local rc=$?
  end_phase
  if [[ "${KEEP:-0}" == 1 ]]; then
    printf '\nThe fleet keeps running (KEEP=1). Use it with:\n'
    printf '  export KUBECONFIG=%s/hub.kubeconfig\n' "${FLEET_DIR}"
    printf 'Stop it with: make local-down\n'
  else
    printf '\nStopping the local fleet\n'
    go run ./hack/localfleet down --dir "${FLEET_DIR}" || rc=1
  fi
  if ((${#phases[@]} > 0)); then
    printf '\n%sTime per phase%s\n' "${bold}" "${reset}"
    printf '  %s\n' "${phases[@]}"
  fi
  if ((rc == 0)); then
    printf '\n%sThe demo passed: the rollout reached value2 and the rollback value1 on all members.%s\n' "${green}" "${reset}"
  fi
  exit "${rc}"
}

if [[ ! -x "${ROOT}/bin/kubectl-fleet" ]]; then
  printf '%sbin/kubectl-fleet is missing: run make build first (make demo does)%s\n' "${red}" "${reset}" >&2
  exit 1
fi

phase "Start a local fleet: a hub and ${#MEMBERS[@]} member clusters"
trap stop_fleet EXIT
go run ./hack/localfleet down --dir "${FLEET_DIR}" >/dev/null 2>&1 || true # a fresh fleet every time
go run ./hack/localfleet up --dir "${FLEET_DIR}"
export KUBECONFIG="${FLEET_DIR}/hub.kubeconfig"
run kubectl get membercluster

phase "Create the resources and an External placement"
run kubectl create ns test-namespace
run kubectl create cm test-cm --from-literal=key=value1 -n test-namespace
crp_manifest='apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: example-placement
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: test-namespace
      version: v1
  policy:
    placementType: PickAll
  strategy:
    type: External'
show "kubectl apply -f - << EOF"
printf '%s\nEOF\n' "${crp_manifest}"
kubectl apply -f - <<<"${crp_manifest}"
await kubectl wait crp/example-placement --for=condition=ClusterResourcePlacementScheduled --timeout="${WAIT_TIMEOUT}"
table kubectl get crp example-placement
expect_eq "$(column "${out}" SCHEDULED)" True "the placement is scheduled"
expect_eq "$(column "${out}" AVAILABLE)" "" "the placement is not available before an update run"

phase "Resource snapshots: index 0, then 1 after an edit"
await kubectl wait clusterresourcesnapshot/example-placement-0-snapshot --for=create --timeout="${WAIT_TIMEOUT}"
run kubectl get clusterresourcesnapshots --show-labels
# kubectl edit opens $KUBE_EDITOR; sed plays the user changing value1 to value2.
printf '%s# editor: change key: value1 to key: value2%s\n' "${dim}" "${reset}"
KUBE_EDITOR="sed -i s/value1/value2/" run kubectl edit cm test-cm -n test-namespace
run kubectl get configmap test-cm -n test-namespace -o yaml
await kubectl wait clusterresourcesnapshot/example-placement-1-snapshot --for=create --timeout="${WAIT_TIMEOUT}"
run kubectl get clusterresourcesnapshots --show-labels
expect_eq "$(kubectl get clusterresourcesnapshots -l kubernetes-fleet.io/is-latest-snapshot=true -o name)" \
  "clusterresourcesnapshot.placement.kubernetes-fleet.io/example-placement-1-snapshot" "index 1 is the latest snapshot"
run kubectl get clusterresourcesnapshots example-placement-1-snapshot -o yaml

phase "Roll out index 1 stage by stage"
strategy_manifest='apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: example-strategy
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: 1m
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: Approval'
show "kubectl apply -f - << EOF"
printf '%s\nEOF\n' "${strategy_manifest}"
kubectl apply -f - <<<"${strategy_manifest}"

# apply_run NAME INDEX creates an update run of example-placement.
apply_run() {
  local manifest="apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: $1
spec:
  placementName: example-placement
  resourceSnapshotIndex: \"$2\"
  stagedRolloutStrategyName: example-strategy"
  show "kubectl apply -f - << EOF"
  printf '%s\nEOF\n' "${manifest}"
  kubectl apply -f - <<<"${manifest}"
}

# approve_canary RUN HOW waits for the canary stage's approval request and
# approves it: HOW=patch with the tutorial's patch of the status subresource,
# HOW=plugin with the kubectl fleet plugin.
approve_canary() {
  local request="$1-canary"
  printf '%s# the staging stage updates member2, then waits 1m before canary starts%s\n' "${dim}" "${reset}"
  await kubectl wait "clusterapprovalrequest/${request}" --for=create --timeout="${WAIT_TIMEOUT}"
  run kubectl get crsur "$1" -o yaml
  run kubectl get clusterapprovalrequest
  if [[ "$2" == patch ]]; then
    show "kubectl patch clusterapprovalrequests ${request} --type=merge -p '{\"status\":{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"lgtm\",\"message\":\"lgtm\",\"lastTransitionTime\":\"'\$(date --utc +%Y-%m-%dT%H:%M:%SZ)'\",\"observedGeneration\":1}]}}' --subresource=status"
    kubectl patch clusterapprovalrequests "${request}" --type=merge -p '{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm","lastTransitionTime":"'$(date --utc +%Y-%m-%dT%H:%M:%SZ)'","observedGeneration":1}]}}' --subresource=status
  else
    run kubectl fleet approve "${request}"
  fi
  await kubectl wait "clusterapprovalrequest/${request}" --for=condition=ApprovalAccepted --timeout="${WAIT_TIMEOUT}"
  run kubectl get clusterapprovalrequest
}

apply_run example-run 1
await kubectl wait crsur/example-run --for=condition=Initialized --timeout="${WAIT_TIMEOUT}"
table kubectl get crsur example-run
expect_eq "$(column "${out}" INITIALIZED)" True "example-run is initialized"
approve_canary example-run patch
await kubectl wait crsur/example-run --for=condition=Succeeded --timeout="${WAIT_TIMEOUT}"
table kubectl get crsur example-run
expect_eq "$(column "${out}" SUCCEEDED)" True "example-run succeeded"
table kubectl fleet status example-run
expect_eq "$(awk '$1 == "State:" { print $2 }' <<<"${out}")" Succeeded "kubectl fleet status shows example-run succeeded"
await kubectl wait crp/example-placement --for=condition=ClusterResourcePlacementAvailable --timeout="${WAIT_TIMEOUT}"
table kubectl get crp example-placement
expect_eq "$(column "${out}" AVAILABLE)" True "the placement is available"
for m in "${MEMBERS[@]}"; do
  run kubectl --kubeconfig "${FLEET_DIR}/${m}.kubeconfig" get configmap test-cm -n test-namespace -o jsonpath='{.data}{"\n"}'
  expect_eq "$(member_value "${m}")" value2 "test-cm on ${m} has the latest data"
done

phase "Roll back to index 0 with a second run"
apply_run example-run-2 0
approve_canary example-run-2 plugin
await kubectl wait crsur/example-run-2 --for=condition=Succeeded --timeout="${WAIT_TIMEOUT}"
run kubectl get crsur example-run-2 -o yaml
run kubectl get crsur
for m in "${MEMBERS[@]}"; do
  run kubectl --kubeconfig "${FLEET_DIR}/${m}.kubeconfig" get configmap test-cm -n test-namespace -o jsonpath='{.data}{"\n"}'
  expect_eq "$(member_value "${m}")" value1 "test-cm on ${m} is back to the old data"
done
