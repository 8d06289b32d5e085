# Sourced by test.sh and bench.sh: installs what the WASM binding needs,
# skipping whatever is already there. Non-interactive (CI has no stdin).
#   rustup target wasm32-unknown-unknown
#   wasm-bindgen CLI of exactly the crate's wasm-bindgen version (cargo install,
#     without --locked: its lock file pins a crate the index lacks)
#   npm devDependencies (binaryen's wasm-opt, hash-wasm, playwright-core,
#     typescript) into bindings/wasm/node_modules
#   Debian's chromium (only when asked: ensure_chromium)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
wasm_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ensure_rust_target() {
  command -v rustup >/dev/null || { echo "rustup is required" >&2; return 1; }
  rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown
}

ensure_wasm_bindgen() {
  local want have
  want="$(grep -m1 -E '^wasm-bindgen = ' "$wasm_dir/Cargo.toml" | sed -E 's/.*"=?([0-9.]+)".*/\1/')"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none}); takes a few minutes"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_node_modules() {
  command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "node and npm are required (Node.js >= 20)" >&2; return 1; }
  local missing=0 p
  for p in binaryen hash-wasm playwright-core typescript; do
    [ -f "$wasm_dir/node_modules/$p/package.json" ] || missing=1
  done
  if [ "$missing" = 1 ]; then
    (cd "$wasm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && return 0
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
}
