#!/usr/bin/env bash
# Builds the npm package's WebAssembly module and JS glue:
#   cargo (wasm32-unknown-unknown, size profile) → wasm-bindgen (web + nodejs
#   targets, name and producers sections removed) → wasm-opt -Oz --converge.
#
#   bash build.sh                # production module  → dist/
#   bash build.sh --test         # + `test-vectors` feature (seeded RNG, server halves) → dist-test/
#   bash build.sh --simd         # production module with -C target-feature=+simd128 → dist-simd/
#                                  (own profile dir: other RUSTFLAGS would rebuild everything)
#   bash build.sh --out DIR      # other output directory
#
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen CLI of the same
# version as the crate's wasm-bindgen, node_modules/.bin/wasm-opt (npm binaryen).
# test.sh installs all three.
#
# The size profile is passed as cargo --config flags (a custom profile
# inheriting `release`), so no other crate's profile changes: opt-level "z",
# fat LTO, one codegen unit, panic=abort.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

mode=release
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --test) mode=test ;;
    --simd) mode=simd ;;
    --out) out="$2"; shift ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

features=()
rustflags="${RUSTFLAGS:-}"
opt_features=(--enable-bulk-memory --enable-mutable-globals --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
case "$mode" in
  release) profile=wasm-release; out="${out:-$here/dist}" ;;
  # Same profile as release: the dependencies are shared; cargo re-copies the
  # final .wasm for whichever feature set was built last.
  test) profile=wasm-release; out="${out:-$here/dist-test}"; features=(--features test-vectors) ;;
  simd)
    profile=wasm-simd; out="${out:-$here/dist-simd}"
    rustflags="$rustflags -C target-feature=+simd128"
    opt_features+=(--enable-simd) ;;
esac

cfg=()
for p in wasm-release wasm-simd; do
  cfg+=(--config "profile.$p.inherits=\"release\"" --config "profile.$p.opt-level=\"z\""
    --config "profile.$p.lto=\"fat\"" --config "profile.$p.codegen-units=1"
    --config "profile.$p.panic=\"abort\"" --config "profile.$p.strip=\"debuginfo\"")
done

echo "build.sh: cargo build ($mode, profile $profile)"
(cd "$root" && RUSTFLAGS="$rustflags" cargo build -q -p vault-wasm --lib \
  --target wasm32-unknown-unknown --profile "$profile" "${cfg[@]}" "${features[@]}")
raw="$target_dir/wasm32-unknown-unknown/$profile/vault_wasm.wasm"

crate_ver="$(grep -m1 -E '^wasm-bindgen = ' "$here/Cargo.toml" | sed -E 's/.*"=?([0-9.]+)".*/\1/')"
cli_ver="$(wasm-bindgen --version | awk '{print $2}')"
if [ "$crate_ver" != "$cli_ver" ]; then
  echo "build.sh: wasm-bindgen CLI $cli_ver does not match the crate's $crate_ver" >&2
  echo "          cargo install wasm-bindgen-cli --version $crate_ver" >&2
  exit 1
fi

wasm_opt="$here/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "build.sh: run npm install in $here first (binaryen)" >&2; exit 1; }

rm -rf "$out/web" "$out/node"
mkdir -p "$out"
for t in web nodejs; do
  dir="$out/${t/nodejs/node}"
  wasm-bindgen --target "$t" --out-dir "$dir" --out-name vault_wasm \
    --remove-name-section --remove-producers-section "$raw"
  "$wasm_opt" -Oz --converge "${opt_features[@]}" "$dir/vault_wasm_bg.wasm" -o "$dir/vault_wasm_bg.wasm"
done
# The nodejs target is CommonJS; the package root is "type": "module".
printf '{ "type": "commonjs" }\n' > "$out/node/package.json"
cp "$here/js/worker.js" "$here/js/worker-client.js" "$here/js/worker-client.d.ts" "$out/"

size="$(wc -c < "$out/web/vault_wasm_bg.wasm")"
gz="$(gzip -9 -c "$out/web/vault_wasm_bg.wasm" | wc -c)"
echo "build.sh: $out/web/vault_wasm_bg.wasm: $size bytes, $gz gzipped"
