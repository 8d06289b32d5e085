#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 8) from the committed seed
# corpus; new inputs go to a scratch dir so the committed corpus stays as is.
# Usage: bash fuzz/smoke.sh [seconds] [extra libFuzzer args...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-8}"; shift || true
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo +nightly fuzz build -O
for t in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$t" "corpus/$t"
  out=$(cargo +nightly fuzz run -O "$t" "$scratch/$t" "corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 "$@" 2>&1) || { echo "$out" | tail -40; echo "FUZZ FAILURE: $t"; exit 1; }
  runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -1)
  echo "fuzz $t: ${runs:-?} executions, no crash"
done
