#!/usr/bin/env bash
# Budget figures for the WASM binding (measured and printed, never asserted):
#   - the production module after wasm-opt -Oz: raw and gzipped (goal <= 250 KB gz),
#     with and without -C target-feature=+simd128
#   - Argon2id (m = 64 MiB, t = 3, p = 1) in Node: vault-wasm vs npm hash-wasm's
#     argon2id on the same inputs in one run (goal <= 1.3x), with and without simd128
#   bash bench.sh [runs]        (default 7 interleaved runs per contender)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# shellcheck source=tools.sh
. "$here/tools.sh"
ensure_rust_target
ensure_wasm_bindgen
ensure_node_modules

bash build.sh
bash build.sh --simd

echo
echo "== module size, gzip -9 (what a server sends with Content-Encoding: gzip)"
for d in dist dist-simd; do
  f="$d/web/vault_wasm_bg.wasm"
  raw="$(wc -c <"$f")"
  gz="$(gzip -9 -c "$f" | wc -c)"
  js="$(wc -c <"$d/web/vault_wasm.js")"
  jsgz="$(gzip -9 -c "$d/web/vault_wasm.js" | wc -c)"
  awk -v d="$d" -v raw="$raw" -v gz="$gz" -v js="$js" -v jsgz="$jsgz" 'BEGIN {
    printf "%-10s wasm %7d bytes raw (%5.1f KiB), %7d bytes gzipped (%5.1f KiB): %s the 250 KB goal; JS glue %d bytes, %d gzipped\n",
      d, raw, raw / 1024, gz, gz / 1024, (gz <= 250000 ? "within" : "over"), js, jsgz }'
done
node bench/bench.mjs "${1:-7}"
