#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, kubectl, etcd) from Go
# modules into setup-envtest's layout: $BIN_DIR/k8s/<version>-<os>-<arch>/.
# Nothing is downloaded from release sites; only the Go module proxy is used.
# Binaries that already exist and report the right version are kept.
#
# Usage: build.sh [NAME...]
# Without arguments it builds what envtest needs: etcd, kubectl, kube-apiserver.
# The local fleet (hack/localfleet) also needs kube-controller-manager,
# kube-scheduler and kwok, which go into the same directory; kwok's Stage
# manifests (the "fast" node and pod stages) are copied next to it into
# kwok-stages/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../.." && pwd)"
K8S_VERSION="${K8S_VERSION:-1.37.2}"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
DEST="${ENVTEST_DIR:-${ROOT}/bin/k8s/${K8S_VERSION}-${GOOS}-${GOARCH}}"
mkdir -p "${DEST}"

major="${K8S_VERSION%%.*}"
minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X ${pkg}.gitVersion=v${K8S_VERSION}"
  version_ldflags+=" -X ${pkg}.gitMajor=${major}"
  version_ldflags+=" -X ${pkg}.gitMinor=${minor}"
  version_ldflags+=" -X ${pkg}.gitTreeState=clean"
  version_ldflags+=" -X ${pkg}.buildDate=${build_date}"
done

log() { printf '[envtest] %s\n' "$*" >&2; }

# version NAME prints what the built binary says about its version.
version() {
  case "$1" in
    kubectl) "${DEST}/kubectl" version --client 2>/dev/null ;;
    kwok) "${DEST}/kwok" --version 2>/dev/null ;;
    *) "${DEST}/$1" --version 2>/dev/null ;;
  esac
}

# build NAME MODULE_DIR PACKAGE WANTED_VERSION LDFLAGS
build() {
  local name="$1" moddir="$2" pkg="$3" want="$4" ldflags="$5"
  local out="${DEST}/${name}"
  if [[ -x "${out}" ]] && version "${name}" | grep -qF -- "${want}"; then
    log "${name}: present (${want})"
    return
  fi
  log "${name}: building ${pkg} (first build takes minutes; later builds use the Go cache)"
  local start=$SECONDS
  (cd "${moddir}" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w ${ldflags}" -o "${out}.tmp" "${pkg}")
  mv "${out}.tmp" "${out}"
  log "${name}: built in $((SECONDS - start))s"
}

# kwok_stages copies kwok's "fast" node and pod Stage manifests from the
# pinned kwok module into ${DEST}/kwok-stages/ (the local fleet joins them into
# the --config file it gives kwok).
kwok_stages() {
  local dir
  # go list reports no directory for a module missing from the module cache.
  (cd "${KWOK_MODULE}" && GOFLAGS=-mod=mod go mod download sigs.k8s.io/kwok)
  dir="$(cd "${KWOK_MODULE}" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  mkdir -p "${DEST}/kwok-stages"
  cp "${dir}/kustomize/stage/node/fast/node-initialize.yaml" "${dir}"/kustomize/stage/pod/fast/pod-*.yaml "${DEST}/kwok-stages/"
  chmod 0644 "${DEST}"/kwok-stages/*.yaml
  log "kwok-stages: copied from ${dir}"
}

KWOK_MODULE="${ROOT}/hack/kwok"
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  names=(etcd kubectl kube-apiserver)
fi
for name in "${names[@]}"; do
  case "${name}" in
    etcd)
      etcd_version="$(cd "${HERE}/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
      build etcd "${HERE}/etcd" go.etcd.io/etcd/server/v3 "${etcd_version#v}" ""
      ;;
    kubectl | kube-apiserver | kube-controller-manager | kube-scheduler)
      build "${name}" "${HERE}/kube" "k8s.io/kubernetes/cmd/${name}" "v${K8S_VERSION}" "${version_ldflags}"
      ;;
    kwok)
      kwok_version="$(cd "${KWOK_MODULE}" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' sigs.k8s.io/kwok)"
      build kwok "${KWOK_MODULE}" sigs.k8s.io/kwok/cmd/kwok "${kwok_version}" "-X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}"
      kwok_stages
      ;;
    *)
      echo "build.sh: unknown binary ${name}" >&2
      exit 2
      ;;
  esac
done
log "ready: ${DEST}"
