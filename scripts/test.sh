#!/usr/bin/env bash
# The whole test suite: the Rust workspace, the independent Python decoder of
# the test vectors, and every language binding's vector suite. Each binding
# script installs the toolchain it needs (skipping what is present).
# Usage: bash scripts/test.sh            (from anywhere; no stdin needed)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

if [ -z "${VAULT_TEST_DATA:-}" ] && [ -d ../shared/test-data ]; then
  export VAULT_TEST_DATA="$(cd ../shared/test-data && pwd)"
fi

step "services the suites talk to: Postgres and Redis"
bash scripts/services.sh

# The abuse suite also runs schemathesis (PyPI) against the server's OpenAPI document.
export VAULT_SCHEMATHESIS="${VAULT_SCHEMATHESIS:-1}"

# Every Rust artifact is built once, in one cargo invocation, so features
# unify the same way for all of them: the libraries and binaries (the
# server the Node client suite talks to, uniffi-bindgen, the ts-types
# generator), the binding cdylibs (vault-ffi and vault-node, with their
# test-vector entry points: --all-features), and the test harnesses. The
# binding suites below reuse these instead of building their own copies
# (VAULT_PREBUILT_DIR); run on their own, they still build what they need.
step "Rust workspace: build every target once (libraries, binaries, cdylibs, tests)"
cargo build --workspace --all-features --lib --bins --tests --benches --examples
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export VAULT_PREBUILT_DIR="$target_dir/debug"

step "Rust workspace: cargo test --workspace --all-features"
cargo test --workspace --all-features

step "independent Python decoder (written from docs/format.md alone) replays test-vectors/"
venv=target/pyvenv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install -q -r test-vectors/python/requirements.txt
"$venv/bin/python" test-vectors/python/verify_vectors.py --rng

for b in ffi wasm node; do
  if [ -f "bindings/$b/test.sh" ]; then
    step "bindings/$b"
    SKIP_BENCH="${SKIP_BENCH:-1}" bash "bindings/$b/test.sh"
  fi
done
