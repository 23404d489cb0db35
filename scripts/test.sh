#!/usr/bin/env bash
# Runs every compiled test file with Node's built-in runner and ends with one
# plain summary line ("N passed, N failed, N skipped") that CI can read.
set -uo pipefail
cd "$(dirname "$0")/.."
# The etcd backend's tests start real etcd members (Debian's etcd-server, 3.4)
# on loopback ports. CI runs as root on a clean machine: install it when
# missing; if that is impossible the etcd tests skip and say why.
if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd not found: installing Debian's etcd-server for the etcd backend tests"
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server) >/dev/null 2>&1 \
    || echo "could not install etcd-server: the etcd tests will be skipped"
fi
# The dashboard's browser test drives Debian's chromium headless (playwright-core, which never downloads a
# browser): install it when missing; if that is impossible the browser tests skip and say why.
if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium for the dashboard's browser tests"
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "could not install chromium: the dashboard's browser tests will be skipped"
fi
log=.test-output.log
files=$(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency=2 --test-reporter=spec $files 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=$(grep -E '^ℹ pass ' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^ℹ fail ' "$log" | tail -1 | awk '{print $3}')
skip=$(grep -E '^ℹ skipped ' "$log" | tail -1 | awk '{print $3}')
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$status"
