#!/usr/bin/env bash
# Runs every compiled test file with Node's built-in runner and ends with one
# plain summary line ("N passed, N failed, N skipped") that CI can read.
set -uo pipefail
cd "$(dirname "$0")/.."
log=.test-output.log
files=$(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency=2 --test-reporter=spec $files 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=$(grep -E '^ℹ pass ' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^ℹ fail ' "$log" | tail -1 | awk '{print $3}')
skip=$(grep -E '^ℹ skipped ' "$log" | tail -1 | awk '{print $3}')
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$status"
