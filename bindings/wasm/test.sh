#!/usr/bin/env bash
# The WASM binding's whole check, for CI and humans; needs no stdin.
#   1. installs what is missing (rustup target, wasm-bindgen CLI of the crate's
#      version, npm devDependencies, Debian chromium)
#   2. checks the committed generated TypeScript (../check-generated.sh), builds
#      the production module (dist/) and the test build (dist-test/)
#   3. Node suite (node --test): every test vector byte for byte, the round
#      trip and API cases on both builds, the TypeScript consumer check
#   4. Chromium suite: the same vectors and round trip in a page served from
#      127.0.0.1 under `script-src 'self' 'wasm-unsafe-eval'`, the Web Worker
#      path (Argon2id 64 MiB off the main thread), a no-wasm-unsafe-eval control,
#      and the module loaded as an unpacked MV3 extension (service worker + page)
# Prints `wasm-node: N passed, M failed` and `wasm-chromium: N passed, M failed`;
# exits non-zero if anything failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# shellcheck source=tools.sh
. "$here/tools.sh"

step() { printf '\n--- wasm: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "toolchain"
ensure_rust_target
ensure_wasm_bindgen
ensure_node_modules
ensure_chromium

status=0
step "generated TypeScript (bindings/check-generated.sh)"
# The shared data types this package's .d.ts embeds; the Node suite also
# checks napi's output.
bash ../check-generated.sh --skip-napi || status=1

step "build"
bash build.sh
bash build.sh --test

step "node suite"
log="$(mktemp)"
node --test --test-reporter=tap test/node.test.mjs >"$log" 2>&1 || status=1
grep -E '^not ok' -A 12 "$log" || true
pass="$(grep -E '^# pass [0-9]+' "$log" | awk '{print $3}' | tail -1)"
fail="$(grep -E '^# fail [0-9]+' "$log" | awk '{print $3}' | tail -1)"
if [ -z "$pass" ]; then tail -40 "$log"; pass=0; fail=1; status=1; fi
[ "${fail:-1}" = 0 ] || status=1
echo "wasm-node: $pass passed, $fail failed"
rm -f "$log"

step "chromium suite"
node test/chromium.mjs || status=1

exit "$status"
