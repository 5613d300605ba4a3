# Flotilla Makefile. `make help` lists the targets.

SHELL := /usr/bin/env bash -o errexit -o pipefail -o nounset
.DEFAULT_GOAL := help

ROOT := $(abspath .)
BIN := $(ROOT)/bin
GO ?= go
export GOFLAGS ?= -mod=mod

K8S_VERSION ?= 1.37.2
ENVTEST_DIR := $(BIN)/k8s/$(K8S_VERSION)-$(shell $(GO) env GOOS)-$(shell $(GO) env GOARCH)
CONTROLLER_GEN := $(BIN)/controller-gen
HELM := $(BIN)/helm
CRD_DIR := config/crd/bases

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/flotilla-dev/flotilla/pkg/version.Version=$(VERSION)

# Tests may take a while on 2 cores; the race detector is always on.
GO_TEST_FLAGS ?= -race -count=1 -timeout=30m
# Fleet sizes (placements x clusters) and flags of `make bench`; see test/perf.
BENCH_ARGS ?= --sizes=10x10

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
		/^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs (config/crd/bases), the hub agent's RBAC (config/rbac) and the charts' copies of both (charts/*/templates).
	rm -f $(CRD_DIR)/*.yaml
	$(CONTROLLER_GEN) crd paths=./apis/... output:crd:artifacts:config=$(CRD_DIR)
	$(GO) run ./hack/crdgen $(CRD_DIR)
	$(CONTROLLER_GEN) rbac:roleName=flotilla-hub-agent paths=./pkg/... output:rbac:artifacts:config=config/rbac
	$(GO) run ./hack/chartgen -crds $(CRD_DIR) -rbac config/rbac/role.yaml -charts charts

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the deepcopy code (zz_generated.deepcopy.go) of the API types.
	$(CONTROLLER_GEN) object paths=./apis/...

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

# What make manifests generate writes: verify fails on any change or
# untracked file under these paths.
GENERATED := apis config charts/hub-agent/templates/crds charts/hub-agent/templates/role.yaml charts/member-agent/templates/crds

.PHONY: verify
verify: manifests generate ## Fail if generated code is stale or untracked, or the code is not gofmt-clean.
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [[ -n "$$unformatted" ]]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	@stale="$$(git status --porcelain --untracked-files=all -- $(GENERATED))"; \
	if [[ -n "$$stale" ]]; then \
		echo "Generated files are stale or untracked; run 'make manifests generate' and commit:"; \
		echo "$$stale"; git --no-pager diff --stat -- $(GENERATED); exit 1; \
	fi
	@echo "Generated code is up to date."

##@ Build

.PHONY: build
build: ## Build the binaries into bin/.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/hubagent ./cmd/hubagent
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/memberagent ./cmd/memberagent
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/kubectl-fleet ./cmd/kubectl-fleet

##@ Test

.PHONY: envtest
envtest: ## Build the envtest control plane (kube-apiserver, etcd, kubectl) from Go modules, if missing.
	K8S_VERSION=$(K8S_VERSION) ENVTEST_DIR=$(ENVTEST_DIR) ./hack/envtest/build.sh

.PHONY: test
test: build localfleet-tools vet $(HELM) ## Run the unit, envtest integration and local-fleet e2e tests with the race detector.
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(GO) test $(GO_TEST_FLAGS) ./...

.PHONY: test-e2e
test-e2e: build localfleet-tools ## Run only the end-to-end suite on a local fleet (test/e2e).
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(GO) test $(GO_TEST_FLAGS) ./test/e2e/ -ginkgo.v

# Counts of `make test-reliability`; make test runs test/reliability with its
# smaller defaults (4 runs, 3 kills, a 40 s member outage).
RELIABILITY_ARGS ?= --chaos-runs=20 --chaos-kills=10 --member-down=1m --report=$(BIN)/reliability.json

.PHONY: test-reliability
test-reliability: build localfleet-tools ## Run the fault-injection suite (test/reliability) at full counts; its figures go to bin/reliability.json.
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(GO) test $(GO_TEST_FLAGS) -v ./test/reliability/ -args -ginkgo.v $(RELIABILITY_ARGS)

.PHONY: test-unit
test-unit: ## Run the unit tests only (no API server).
	$(GO) test $(GO_TEST_FLAGS) $$($(GO) list ./... | grep -v /test/)

# Fuzz targets (package:target) and how long `make fuzz` explores each.
FUZZ_TARGETS := ./pkg/controllers/updaterun:FuzzComputeStages ./pkg/controllers/updaterun:FuzzMaxConcurrency ./pkg/memberagent/applier:FuzzDecodeManifests ./pkg/controllers/placement:FuzzBuildResourceSnapshots
FUZZ_TIME ?= 15s

.PHONY: fuzz
fuzz: ## Explore each fuzz target for FUZZ_TIME (make test only runs their seed corpora).
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg="$${t%%:*}"; name="$${t##*:}"; \
		echo "fuzzing $$name in $$pkg for $(FUZZ_TIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_TIME) "$$pkg"; \
	done

.PHONY: bench
bench: build envtest ## Run the fleet-scale rollout benchmark (test/perf) on envtest, e.g. BENCH_ARGS="--sizes=10x10,50x20".
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(GO) run ./test/perf $(BENCH_ARGS)

##@ Local fleet

LOCALFLEET_DIR ?= $(ROOT)/.localfleet
LOCALFLEET_MEMBERS ?= 3
# Extra `localfleet up` flags, e.g. LOCALFLEET_ARGS=--hub-agent-arg=--pprof-bind-address=127.0.0.1:6060
LOCALFLEET_ARGS ?=
LOCALFLEET := $(GO) run ./hack/localfleet

.PHONY: localfleet-tools
localfleet-tools: envtest ## Build kube-controller-manager, kube-scheduler and kwok (+ its stages) next to the envtest binaries, if missing.
	K8S_VERSION=$(K8S_VERSION) ENVTEST_DIR=$(ENVTEST_DIR) ./hack/envtest/build.sh kube-controller-manager kube-scheduler kwok

.PHONY: demo
demo: build localfleet-tools ## Play the staged update run tutorial on a fresh local fleet (KEEP=1 leaves it running).
	FLEET_DIR=$(LOCALFLEET_DIR) KUBECTL_DIR=$(ENVTEST_DIR) ./hack/demo/demo.sh

.PHONY: local-up
local-up: build localfleet-tools ## Start a local fleet (hub + LOCALFLEET_MEMBERS members on loopback) in LOCALFLEET_DIR; it keeps running.
	$(LOCALFLEET) up --dir $(LOCALFLEET_DIR) --bin-dir $(BIN) --members $(LOCALFLEET_MEMBERS) $(LOCALFLEET_ARGS)

.PHONY: local-down
local-down: ## Stop the local fleet and wait until every process has exited.
	$(LOCALFLEET) down --dir $(LOCALFLEET_DIR)

.PHONY: local-status
local-status: ## List the local fleet's processes and member clusters.
	$(LOCALFLEET) status --dir $(LOCALFLEET_DIR)

##@ Tools

$(CONTROLLER_GEN): hack/tools/go.mod hack/tools/go.sum
	$(GO) build -C hack/tools -o $(CONTROLLER_GEN) sigs.k8s.io/controller-tools/cmd/controller-gen

# helm, stamped as its own release build is: its version, and the Kubernetes
# version its lint rules and default capabilities assume (that of the
# client-go it is built with, not helm's built-in 1.20).
$(HELM): hack/tools/go.mod hack/tools/go.sum
	helm_version="$$($(GO) list -C hack/tools -m -f '{{.Version}}' helm.sh/helm/v3)"; \
	k8s_minor="$$($(GO) list -C hack/tools -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)"; \
	$(GO) build -C hack/tools -trimpath -o $(HELM) -ldflags "-s -w \
		-X helm.sh/helm/v3/internal/version.version=$$helm_version \
		-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
		-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
		-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$$k8s_minor \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$$k8s_minor" \
		helm.sh/helm/v3/cmd/helm

.PHONY: tools
tools: $(CONTROLLER_GEN) $(HELM) ## Build the pinned tools (controller-gen, helm) into bin/.

.PHONY: clean
clean: ## Remove built binaries (keeps the envtest control plane).
	rm -f $(BIN)/hubagent $(BIN)/memberagent $(CONTROLLER_GEN) $(HELM)
