#!/usr/bin/env bash
# Builds test/k8s-harness (a real Kubernetes API server for the tests) once per
# version of its sources: the binary is cached under .cache/k8s-harness/<key>/,
# keyed by go.mod, go.sum and the Go sources, so later runs only hash files.
# Prints the binary's path. Exit 3 when no Go toolchain is found (the tests
# that need the harness then skip, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."
src=test/k8s-harness
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS=-mod=mod
if ! command -v go >/dev/null 2>&1; then
  echo "build-k8s-harness: no Go toolchain (looked on PATH and in /usr/local/go/bin)" >&2
  exit 3
fi
key=$( (cat "$src/go.mod" "$src/go.sum" "$src"/*.go; go env GOVERSION) | sha256sum | cut -c1-16)
out=.cache/k8s-harness/$key
bin=$out/k8s-harness
if [[ ! -x $bin ]]; then
  mkdir -p "$out"
  echo "build-k8s-harness: building $bin (the first build downloads modules and compiles the API server: minutes)" >&2
  start=$(date +%s)
  (cd "$src" && go build -trimpath -o "../../$bin.tmp" .)
  mv "$bin.tmp" "$bin"
  echo "build-k8s-harness: built in $(( $(date +%s) - start ))s" >&2
  # Keep only this version.
  find .cache/k8s-harness -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi
echo "$bin"
