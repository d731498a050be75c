# engula-operator: the targets operator users know from kubebuilder. Every target installs what it
# needs first, so each one works on a fresh clone.

IMG ?= engula-operator:latest
TESTENV_DIR ?= $(CURDIR)/.testenv
TESTENV_MODE ?= full
TESTENV_NODES ?= 3
KUBECTL ?= kubectl
# FORCE=1: `make uninstall` and `make undeploy` delete Engula objects too, instead of refusing.
FORCE ?=
DEMO_DIR ?= $(CURDIR)/.demo
export TESTENV_DIR DEMO_DIR

# npm scripts put node_modules/.bin first on PATH: that is where Node 24 (the node@24 package) is.
NODE := $(CURDIR)/node_modules/.bin/node

.PHONY: all
all: test

##@ Demo

.PHONY: demo
demo: deps ## See it work: local control plane + operator in the background, the sample Cluster Ready, scaled three ways (again: reuses, restarts the operator).
	$(NODE) hack/demo.ts up

.PHONY: demo-down
demo-down: deps ## Stop what `make demo` started (operator, control plane) and remove $(DEMO_DIR).
	$(NODE) hack/demo.ts down

##@ Development

# The lockfile alone decides what npm ci installs (a change to scripts in package.json must not
# reinstall node_modules under running tests).
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.installed ## Install the npm dependencies (npm ci).

.PHONY: test
test: deps ## Type-check, then run every unit and integration test against a local control plane.
	npm test

.PHONY: test-resilience
test-resilience: deps ## Two replicas keep 20 Clusters converged through 50 leader kills, 5 apiserver restarts, 5 partitions (own control plane; ~20 min).
	$(NODE) hack/run-tests.ts test/resilience

.PHONY: typecheck
typecheck: deps ## tsc --noEmit over the whole tree.
	npm run typecheck

.PHONY: manifests
manifests: deps ## Regenerate the CRDs, TypeScript types and webhook manifests from api/, then the Helm chart from config/.
	KUBECTL="$(KUBECTL)" npm run manifests

.PHONY: chart
chart: deps ## Regenerate the Helm chart charts/engula-operator from config/ (kubectl kustomize config/default, config/policy, config/prometheus, the CRDs).
	KUBECTL="$(KUBECTL)" $(NODE) hack/chart/generate.ts

.PHONY: build
build: deps ## Compile to dist/ (what the container image runs).
	npm run build

.PHONY: bench
bench: deps ## Build dist/ and benchmark it on its own control plane (BENCH_QUICK=1: short run); writes bench/results/latest.json.
	npm run bench -- $(ARGS)

.PHONY: testenv-bins
testenv-bins: ## Build (once, cached outside the repo) or locate the control plane binaries.
	hack/testenv-bins.sh

.PHONY: testenv
testenv: deps ## Start a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes); writes $(TESTENV_DIR)/kubeconfig.
	$(NODE) hack/testenv.ts up --mode $(TESTENV_MODE) --nodes $(TESTENV_NODES)

.PHONY: testenv-down
testenv-down: deps ## Stop the local control plane and remove $(TESTENV_DIR).
	$(NODE) hack/testenv.ts down

##@ Image

CONTAINER_TOOL ?= docker

.PHONY: docker-build
docker-build: ## Build the operator's image IMG (Dockerfile: compiled TypeScript on distroless Node 24).
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image IMG.
	$(CONTAINER_TOOL) push $(IMG)

##@ Running

.PHONY: run
run: deps install ## Run the operator out of cluster against KUBECONFIG (with webhooks registered by URL on 127.0.0.1).
	$(NODE) cmd/manager.ts --local-webhooks $(ARGS)

.PHONY: install
install: deps ## Install the CRDs and the deletion-protection policy (config/policy) into the cluster of KUBECONFIG.
	$(KUBECTL) apply --server-side -f config/crd/bases
	$(KUBECTL) apply --server-side -k config/policy

.PHONY: uninstall
uninstall: deps ## Remove the CRDs; refuses while any Engula object exists, naming them (FORCE=1: delete them with the CRDs).
	KUBECTL="$(KUBECTL)" FORCE="$(FORCE)" $(NODE) hack/uninstall.ts

.PHONY: deploy
deploy: install ## Install the CRDs, then deploy the operator (config/default) with image IMG into the cluster of KUBECONFIG.
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -

# One file for `kubectl apply -f` (kubebuilder's convention): config/installer is the CRDs, the
# deletion-protection policy and config/default, in an order kubectl can apply at once (the
# Namespace, then the CRDs). dist/ is what `npm run build` compiles to, and is not committed:
# install.yaml is a release artifact, made for one IMG. INSTALL_YAML writes it elsewhere.
INSTALL_YAML ?= dist/install.yaml

.PHONY: build-installer
build-installer: deps ## Write dist/install.yaml: CRDs, deletion protection and the operator with image IMG, for `kubectl apply --server-side -f`.
	mkdir -p $(dir $(INSTALL_YAML))
	$(KUBECTL) kustomize config/installer > $(INSTALL_YAML).tmp
	sed 's|image: controller:latest|image: $(IMG)|' $(INSTALL_YAML).tmp > $(INSTALL_YAML)
	rm $(INSTALL_YAML).tmp
	@echo "wrote $(INSTALL_YAML) (image $(IMG))"

.PHONY: undeploy
undeploy: deps ## Remove the operator (config/default), never the CRDs; refuses while its namespace holds Engula objects (FORCE=1).
	KUBECTL="$(KUBECTL)" FORCE="$(FORCE)" $(NODE) hack/undeploy.ts

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
