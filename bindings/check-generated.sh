#!/usr/bin/env bash
# Fails if a committed generated TypeScript file differs from a fresh
# generation (regenerated into a temporary directory, then diffed):
#   bindings/ts-types/vault-types.d.ts  the data types of vault-core's serde
#                                       types, shared by both npm packages
#   bindings/node/dts-header.d.ts       napi's header: those + node/src/types.d.ts
#   bindings/node/index.d.ts, index.js  napi's output (`napi build --platform`,
#                                       default features: the shipped API)
#
#   bash bindings/check-generated.sh              # all of the above
#   bash bindings/check-generated.sh --skip-napi  # the shared files only (the
#                                                 # wasm suite; the Node suite runs it all)
#
# To update the committed files instead: `cargo run -p vault-ts-types`, then
# `npm run build` in bindings/node (it rewrites index.d.ts and index.js).
# Prints `generated: N passed, M failed`; exits non-zero on any difference.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

skip_napi=0
for arg in "$@"; do
  case "$arg" in
    --skip-napi) skip_napi=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "check-generated.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
same() { # committed, fresh
  if diff -u "$1" "$2" >"$tmp/diff" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "check-generated: ${1#"$root"/} differs from a fresh generation:" >&2
    head -60 "$tmp/diff" >&2
  fi
}

if [ -n "${VAULT_PREBUILT_DIR:-}" ] && [ -x "$VAULT_PREBUILT_DIR/vault-ts-types" ]; then
  # The workspace build of scripts/test.sh (no second build of vault-core).
  "$VAULT_PREBUILT_DIR/vault-ts-types" --out "$tmp/gen"
else
  (cd "$root" && cargo run -q -p vault-ts-types -- --out "$tmp/gen")
fi
same "$here/ts-types/vault-types.d.ts" "$tmp/gen/ts-types/vault-types.d.ts"
same "$here/node/dts-header.d.ts" "$tmp/gen/node/dts-header.d.ts"

if [ "$skip_napi" = 0 ]; then
  napi="$here/node/node_modules/.bin/napi"
  if [ ! -x "$napi" ]; then
    (cd "$here/node" && { npm ci --no-audit --no-fund --loglevel=error ||
      npm install --no-save --no-audit --no-fund --loglevel=error; })
  fi
  # napi reads the committed header (checked just above) through package.json.
  (cd "$here/node" && "$napi" build --platform --output-dir "$tmp/napi" >"$tmp/napi.log" 2>&1) ||
    { tail -40 "$tmp/napi.log" >&2; echo "check-generated: napi build failed" >&2; exit 1; }
  same "$here/node/index.d.ts" "$tmp/napi/index.d.ts"
  same "$here/node/index.js" "$tmp/napi/index.js"
fi

echo "generated: $pass passed, $fail failed"
[ "$fail" = 0 ]
