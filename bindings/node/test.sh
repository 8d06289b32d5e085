#!/usr/bin/env bash
# The Node binding's test suite, from a fresh machine, with no stdin:
# installs what it needs (skipping what is present), builds the addon with
# the `test-vectors` feature into build-test/ (never the shipped build), and
# runs `node --test`. Exits non-zero on any failure, or when the committed
# generated TypeScript is stale (../check-generated.sh). The client suites
# (test/client.test.mjs, test/secrets.test.mjs) run against a real
# vault-server, built here and passed in as VAULT_SERVER_BIN; the secrets
# suite's admin is the `vault` CLI, built here as VAULT_CLI_BIN (set either
# yourself to use another build). The type tests (test/secrets-types.test.mjs)
# run tsc from build-test/tools (typescript + @types/node, installed here).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
echo "node $(node --version), npm $(npm --version)"
if [ ! -x node_modules/.bin/napi ]; then
  # npm 11 rejects this lock with `npm ci` (optional platform packages of a
  # transitive dependency are not recorded); fall back to a plain install.
  npm ci --no-audit --no-fund --loglevel=error ||
    npm install --no-audit --no-fund --loglevel=error
fi

# The type tests' compiler, pinned, in the test's own tool directory (not a
# dependency of the package).
if [ ! -x build-test/tools/node_modules/typescript/bin/tsc ] || [ ! -d build-test/tools/node_modules/@types/node ]; then
  mkdir -p build-test/tools
  [ -f build-test/tools/package.json ] || echo '{ "private": true }' >build-test/tools/package.json
  (cd build-test/tools && npm install --no-audit --no-fund --loglevel=error typescript@5.9.3 @types/node@20.19.43)
fi

# The committed generated TypeScript (data types, napi's index.d.ts/index.js)
# must match a fresh generation; reported at the end, after the suite.
gen_status=0
bash ../check-generated.sh || gen_status=1

# Test build: debug profile (dependencies are optimised by the workspace
# profile) with the deterministic entry points the vectors need. Under
# scripts/test.sh the workspace build already made it (--all-features):
# load that library directly instead of building another.
mkdir -p build-test
if [ -n "${VAULT_PREBUILT_DIR:-}" ] && [ -f "$VAULT_PREBUILT_DIR/libvault_node.so" ]; then
  cp "$VAULT_PREBUILT_DIR/libvault_node.so" build-test/vault-node-prebuilt.node
  export VAULT_NODE_ADDON="$PWD/build-test/vault-node-prebuilt.node"
  echo "addon: the workspace build ($VAULT_NODE_ADDON)"
  if [ -z "${VAULT_SERVER_BIN:-}" ] && [ -x "$VAULT_PREBUILT_DIR/vault-server" ]; then
    export VAULT_SERVER_BIN="$VAULT_PREBUILT_DIR/vault-server"
  fi
  if [ -z "${VAULT_CLI_BIN:-}" ] && [ -x "$VAULT_PREBUILT_DIR/vault" ]; then
    export VAULT_CLI_BIN="$VAULT_PREBUILT_DIR/vault"
  fi
else
  npx napi build --platform --features test-vectors --output-dir build-test
fi

# The server the client suites talk to (debug build, SQLite), and the admin's
# CLI of the secrets suite.
target_dir() {
  cargo metadata --format-version 1 --no-deps |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))'
}
if [ -z "${VAULT_SERVER_BIN:-}" ]; then
  cargo build -p vault-server --bin vault-server
  export VAULT_SERVER_BIN="$(target_dir)/debug/vault-server"
fi
if [ -z "${VAULT_CLI_BIN:-}" ]; then
  cargo build -p vault-cli --bin vault
  export VAULT_CLI_BIN="$(target_dir)/debug/vault"
fi
echo "vault-server: $VAULT_SERVER_BIN"
echo "vault CLI: $VAULT_CLI_BIN"

set +e
node --test --test-reporter=spec test/*.test.mjs 2>&1 | tee build-test/test-output.txt
status=${PIPESTATUS[0]}
set -e
pass=$(grep -E '^ℹ pass ' build-test/test-output.txt | awk '{print $3}')
fail=$(grep -E '^ℹ fail ' build-test/test-output.txt | awk '{print $3}')
skip=$(grep -E '^ℹ skipped ' build-test/test-output.txt | awk '{print $3}')
echo "node: ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
if [ "$gen_status" -ne 0 ]; then
  echo "node: the committed generated TypeScript is stale (see check-generated above)" >&2
fi
if [ "$status" -ne 0 ] || [ "$gen_status" -ne 0 ] || [ "${fail:-1}" != "0" ] || [ "${pass:-0}" = "0" ]; then
  exit 1
fi
