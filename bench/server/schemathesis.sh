#!/usr/bin/env bash
# Property-based API testing of vault-server with schemathesis (PyPI),
# driven by the server's own OpenAPI document (GET /openapi.json).
#
# Check: not_a_server_error (no 5xx, no dropped connection, on any
# generated request, valid or not). Exits non-zero on any failure.
#
#   bench/server/schemathesis.sh              # builds and starts a server (SQLite, temp dir)
#   VAULT_URL=http://127.0.0.1:PORT VAULT_TOKEN=va1... bench/server/schemathesis.sh
#
# The abuse test runs it against a server it started when VAULT_SCHEMATHESIS=1
# (cargo test -p vault-server --test abuse schemathesis -- --nocapture).
#
# Knobs: SCHEMATHESIS_VERSION (default 4.32.5, pinned so the CLI flags below
# stay valid), SCHEMATHESIS_MAX_EXAMPLES (per operation, default 100),
# SCHEMATHESIS_SEED, SCHEMATHESIS_ARGS (extra flags).
# The venv lives in target/schemathesis-venv; reports in target/schemathesis-report.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV="$ROOT/target/schemathesis-venv"
VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
REPORT="$ROOT/target/schemathesis-report"

# The abuse suite runs this for both backends at once: one installs, the
# other waits for it (a half-made venv has no pip yet).
mkdir -p "$ROOT/target"
exec 9>"$ROOT/target/schemathesis-venv.lock"
flock 9
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $VERSION\$"; then
    echo "schemathesis: installing $VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
flock -u 9

SERVER_PID=""
DATA=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
}
trap cleanup EXIT

if [ -z "${VAULT_URL:-}" ]; then
    (cd "$ROOT" && cargo build --quiet -p vault-server --bin vault-server --example login_token)
    DATA=$(mktemp -d)
    "$ROOT/target/debug/vault-server" --listen 127.0.0.1:0 --data-dir "$DATA" >"$DATA/stdout" 2>"$DATA/server.log" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$DATA/stdout" 2>/dev/null && break
        sleep 0.1
    done
    VAULT_URL=$(sed -n 's/^vault-server listening on //p' "$DATA/stdout")
    [ -n "$VAULT_URL" ] || { echo "the server did not start:" >&2; cat "$DATA/server.log" >&2; exit 1; }
    VAULT_TOKEN=$("$ROOT/target/debug/examples/login_token" "$VAULT_URL")
fi
: "${VAULT_TOKEN:?set VAULT_TOKEN with VAULT_URL}"

mkdir -p "$REPORT"
# Run from the report directory: hypothesis and schemathesis leave state
# directories (.hypothesis, .schemathesis) in the working directory.
cd "$REPORT"
start=$(date +%s)
set +e
# Excluded: the two logout endpoints (they would end the session every other
# operation runs under: the abuse suite covers them) and the event stream
# (it never ends, so every request to it would time out).
# shellcheck disable=SC2086
"$VENV/bin/schemathesis" run "$VAULT_URL/openapi.json" \
    --checks not_a_server_error \
    --header "Authorization: Bearer $VAULT_TOKEN" \
    --exclude-path /v1/logout --exclude-path /v1/logout/all --exclude-path /v1/events \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} \
    --request-timeout 20 \
    --generation-database none \
    --suppress-health-check all \
    --no-color \
    --report junit --report-dir "$REPORT" \
    ${SCHEMATHESIS_ARGS:-}
status=$?
set -e
echo "schemathesis: exit $status after $(( $(date +%s) - start )) s (report: $REPORT)" >&2
if [ -n "$SERVER_PID" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "schemathesis: the server died" >&2
    status=1
fi
if [ -n "$DATA" ] && grep -q "panicked" "$DATA/server.log"; then
    echo "schemathesis: the server panicked:" >&2
    grep -A3 "panicked" "$DATA/server.log" >&2
    status=1
fi
exit "$status"
