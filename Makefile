# BurnCloud — build, test and generate. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
MODULES := pkg pkg/store services/router services/control services/billing services/burncloud
# Modules outside the workspace: Helm and the Kubernetes API types must not
# unify dependency versions with the services.
DEPLOY_MODULES := deploy/validate deploy/docker/probe
TOOLS := bin/tools
PROTOVALIDATE_VERSION := v1.2.2
TEST_FLAGS ?= -count=1 -timeout 12m
BINARIES := burncloud burncloud-router burncloud-control burncloud-billing

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(TOOLS)/.stamp: tools/go.mod tools/go.sum
	cd tools && GOWORK=off $(GO) build -o ../$(TOOLS)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		connectrpc.com/connect/cmd/protoc-gen-connect-go
	touch $@

.PHONY: tools
tools: $(TOOLS)/.stamp ## Build the pinned build tools (buf, protoc plugins) into bin/tools.

# validate.proto ships in the protovalidate Go module; copy it where buf sees it
# but neither lints nor generates it.
proto/third_party/buf/validate/validate.proto:
	mkdir -p $(@D)
	dir=$$(cd tools && GOWORK=off $(GO) mod download -json github.com/bufbuild/protovalidate@$(PROTOVALIDATE_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
		install -m 0644 "$$dir/proto/protovalidate/buf/validate/validate.proto" $@

.PHONY: generate
generate: tools proto/third_party/buf/validate/validate.proto ## Regenerate protobuf and Connect code into pkg/gen.
	$(TOOLS)/buf generate --path proto/burncloud

.PHONY: build
build: ## Build bin/burncloud, bin/burncloud-router, bin/burncloud-control, bin/burncloud-billing.
	$(GO) build -o bin/ ./services/burncloud/cmd/burncloud ./services/router/cmd/burncloud-router \
		./services/control/cmd/burncloud-control ./services/billing/cmd/burncloud-billing

.PHONY: test
test: build ## Run every module's tests (needs Postgres, Redis and NATS; see .ci/run).
	@failed=""; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test $(TEST_FLAGS) ./...) || failed="$$failed $$m"; done; \
		for m in $(DEPLOY_MODULES); do echo "== $$m"; (cd $$m && GOWORK=off $(GO) test $(TEST_FLAGS) ./...) || failed="$$failed $$m"; done; \
		if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi
	@$(MAKE) --no-print-directory test-rules

.PHONY: test-rules
test-rules: ## Check and unit-test the Prometheus alert rules with promtool (REQUIRE_PROMTOOL=1 fails without it).
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check rules deploy/prometheus/rules/*.yaml && promtool test rules deploy/prometheus/tests/*.yaml; \
	elif [ -n "$${REQUIRE_PROMTOOL:-}" ]; then echo "promtool not installed (deploy/ci-deps.sh installs it)"; exit 1; \
	else echo "promtool not installed: alert rules not checked (deploy/ci-deps.sh installs it)"; fi

.PHONY: test-race
test-race: ## Run every module's tests with the race detector.
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test -race $(TEST_FLAGS) ./...) || exit 1; done

.PHONY: lint
lint: generate ## go vet, gofmt, buf lint, and checks that generate and go mod tidy change nothing.
	@for m in $(MODULES); do echo "== vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done
	@for m in $(DEPLOY_MODULES); do echo "== vet $$m"; (cd $$m && GOWORK=off $(GO) vet ./...) || exit 1; done
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '/gen/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(TOOLS)/buf lint
	@if [ -n "$$(git status --porcelain -- pkg/gen)" ]; then echo "make generate changed pkg/gen:"; git status --porcelain -- pkg/gen; exit 1; fi
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done
	@for m in $(DEPLOY_MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy) || exit 1; done
	@if [ -n "$$(git status --porcelain -- '*go.mod' '*go.sum')" ]; then echo "go mod tidy changed:"; git status --porcelain -- '*go.mod' '*go.sum'; exit 1; fi

.PHONY: dev
dev: build ## Run the whole gateway in one process on :3000 (burncloud dev --demo).
	./bin/burncloud dev --demo

BENCH_OUT ?= bench/results/latest

.PHONY: bench
bench: build ## Run the hot-path Go benchmarks, then the router-vs-bare-proxy harness (DESIGN §7) into $(BENCH_OUT).
	@mkdir -p $(BENCH_OUT)
	@for m in pkg services/router; do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done | tee $(BENCH_OUT)/gobench.txt
	$(GO) build -o bin/ ./services/burncloud/cmd/burncloud-bench
	./bin/burncloud-bench run --bin-dir bin --out $(BENCH_OUT) --go-bench $(BENCH_OUT)/gobench.txt

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf bin proto/third_party
