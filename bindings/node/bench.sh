#!/usr/bin/env bash
# Builds the release addon (the shipped build: no test-vectors feature) and
# the native example, then runs bench.mjs. Figures are printed, not asserted.
# Usage: bash bindings/node/bench.sh   (BENCH_ITEMS=10000 by default)
set -euo pipefail
cd "$(dirname "$0")"
[ -x node_modules/.bin/napi ] || npm ci --no-audit --no-fund
npx napi build --platform --release
cargo build --release -p vault-node --example native_figures
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
NATIVE_FIGURES="$target_dir/release/examples/native_figures" node bench.mjs
