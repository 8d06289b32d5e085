#!/usr/bin/env bash
# vault-server throughput and latency (issue 4), on Postgres and SQLite.
#
#   bash bench/server/run.sh            # from anywhere; about 4 minutes after the build
#
# Builds `vault-server` and `vault-server/examples/loadgen.rs` in release,
# then for each backend starts a fresh server (Postgres: a fresh database,
# owner role and app role on 127.0.0.1:5432, dropped at the end; SQLite: a
# temp directory) and measures, with the load generator on the same machine:
#   - delta sync with no changes  GET /v1/sync/changes?since=<current cursor>
#   - item writes                 PUT /v1/vaults/{v}/items/{i} (compare-and-swap)
#   - logins                      OPAQUE, then SRP (server restarted with --protocol srp)
#   - initial sync of 10,000 items in one vault (seeded with POST /v1/sync/push,
#     100 writes per push), server time from /metrics, in pages of 10,000 and
#     in pages of the server's default 500 (what vault-sync's client asks for)
# and prints each figure with the server's and Postgres' CPU use meanwhile.
# With `wrk` installed (apt-get install wrk) it also measures delta sync with
# wrk, a client in C, to show how much the Rust load generator costs.
#
# Knobs: BACKENDS ("postgres sqlite"), CONNS (32), DURATION (10 s), WARMUP (2 s),
# ITEMS (10000), RUNS (20), PGHOST/PGPORT/PGUSER (127.0.0.1/5432/postgres).
# Results (JSON lines): target/bench-server/results.jsonl; server logs (warn
# and above): target/bench-server/server-<backend>.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BACKENDS=${BACKENDS:-"postgres sqlite"}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ITEMS=${ITEMS:-10000}
RUNS=${RUNS:-20}
OUT="$ROOT/target/bench-server"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
WORK=$(mktemp -d)
# shellcheck source=bench/server/lib.sh
source "$ROOT/bench/server/lib.sh"
trap cleanup EXIT

machine_header "vault-server benchmarks (bench/server/run.sh)"
say "load:    $CONNS connections, ${DURATION} s measured after ${WARMUP} s warm-up; loadgen and server share the machine"

cargo build --release --quiet -p vault-server --bin vault-server --example loadgen
BIN="$ROOT/target/release/vault-server"
LOADGEN="$ROOT/target/release/examples/loadgen"

# run LABEL SCENARIO [ARGS...]: one loadgen scenario; prints its line and the
# CPU the server and Postgres used meanwhile (whole run, setup included).
run() {
    local label=$1; shift
    cpu_window_start
    "$LOADGEN" --url "$URL" -c "$CONNS" -d "$DURATION" --warmup "$WARMUP" --label "$label" "$@" \
        2>"$WORK/lg.err" >>"$RESULTS" || { cat "$WORK/lg.err"; return 1; }
    grep -v '^seeded' "$WORK/lg.err" | sed "s/^/  [$label] /"
    cpu_window_report "$label"
}

# Delta sync again with wrk (C, one thread per core) against one account:
# what the server does when the client costs little.
wrk_delta() { # label
    command -v wrk >/dev/null || { say "  [$1] (wrk not installed: apt-get install wrk for a second opinion)"; return 0; }
    local path token s0 s1 t0 t1
    read -r path token < <("$LOADGEN" --url "$URL" prepare-delta 2>/dev/null)
    s0=$(cpu_of "$SERVER_PID"); t0=$(date +%s.%N)
    wrk -t 1 -c "$CONNS" -d "${DURATION}s" --latency -H "Authorization: Bearer $token" "$URL$path" >"$WORK/wrk.out" 2>&1 || true
    s1=$(cpu_of "$SERVER_PID"); t1=$(date +%s.%N)
    awk -v l="$1" '/Requests\/sec/ { rps = $2 } / 50%/ { p50 = $2 } / 99%/ { p99 = $2 } /Non-2xx/ { bad = $NF }
        END { printf "  [%s] delta-sync (wrk, 1 thread, one account) %.0f req/s  p50 %s  p99 %s%s\n", l, rps, p50, p99, (bad ? "  NON-2XX: " bad : "") }' "$WORK/wrk.out"
    awk -v s=$((s1 - s0)) -v t0="$t0" -v t1="$t1" -v hz="$TICK" -v l="$1" 'BEGIN { printf "  [%s]   CPU meanwhile: vault-server %.0f%% of one core\n", l, 100*s/hz/(t1-t0) }'
    awk -v l="$1" '/Requests\/sec/ { rps = $2 } / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
        END { printf "{\"label\":\"%s\",\"scenario\":\"delta-sync-wrk\",\"req_per_s\":%s,\"p50\":\"%s\",\"p99\":\"%s\"}\n", l, rps, p50, p99 }' "$WORK/wrk.out" >>"$RESULTS"
}

for backend in $BACKENDS; do
    say ""
    say "-- $backend --"
    SERVER_LOG="$OUT/server-$backend.log"
    : >"$SERVER_LOG"
    [ "$backend" = postgres ] && pg_create
    # shellcheck disable=SC2046
    start_server $(backend_args "$backend")
    run "$backend" delta
    run "$backend" write
    run "$backend" login-opaque
    run "$backend" initial-sync --items "$ITEMS" --runs "$RUNS" --server-pid "$SERVER_PID"
    # The same with the server's default page size (what vault-sync's client asks for).
    run "$backend" initial-sync --items "$ITEMS" --runs 5 --limit 500 --server-pid "$SERVER_PID"
    # Last on this server: wrk hangs up on its in-flight requests when its
    # time is up, which (Postgres) leaves pooled connections inside a
    # transaction (sqlx cancel-safety bug; see docs/benchmarks.md), and the
    # next requests on them fail.
    wrk_delta "$backend"
    stop_server
    # shellcheck disable=SC2046
    start_server $(backend_args "$backend") --protocol srp
    run "$backend" login-srp
    stop_server
    pg_drop
done

say ""
say "== goals (issue 4) =="
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def verdict(ok): return "MET" if ok else "MISSED"
for r in rows:
    if r["scenario"] == "delta-sync":
        ok = r["ops_per_s"] >= 3000 and r["p99_ms"] <= 25
        print(f'{r["label"]:<9} delta sync       {r["ops_per_s"]:7.0f} req/s, p99 {r["p99_ms"]:6.2f} ms   goal >= 3000 req/s at p99 <= 25 ms: {verdict(ok)}')
    if r["scenario"] == "initial-sync":
        ok = r["server_ms"] <= 150
        print(f'{r["label"]:<9} initial sync     {r["items"]} items, pages of {r["limit"]:>5} ({r["pages"]:>2} requests): server {r["server_ms"]:6.1f} ms (client wall median {r["wall_median_ms"]:.1f} ms)   goal <= 150 ms: {verdict(ok)}')
EOF
say "results: $RESULTS"
