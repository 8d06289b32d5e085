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
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
OUT="$ROOT/target/bench-server"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
WORK=$(mktemp -d)
SERVER_PID=""
PGDB=""

say() { printf '%s\n' "$*"; }

cleanup() {
    stop_server
    if [ -n "$PGDB" ]; then
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qAt \
            -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" \
            -c "DROP ROLE IF EXISTS ${PGDB/db_/app_}" -c "DROP ROLE IF EXISTS ${PGDB/db_/owner_}" >/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say "== vault-server benchmarks (bench/server/run.sh) =="
say "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
say "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
read -r B0 T0 < <(cpu_sample); sleep 2; read -r B1 T1 < <(cpu_sample)
BUSY=$(( (B1 - B0) * 100 / (T1 - T0 > 0 ? T1 - T0 : 1) ))
say "other CPU use just before the run: ${BUSY}% of all cores$([ "$BUSY" -gt 10 ] && echo '  WARNING: machine busy, figures will read low')"
say "load:    $CONNS connections, ${DURATION} s measured after ${WARMUP} s warm-up; loadgen and server share the machine"

cargo build --release --quiet -p vault-server --bin vault-server --example loadgen
BIN="$ROOT/target/release/vault-server"
LOADGEN="$ROOT/target/release/examples/loadgen"

# CPU seconds (user + system) of a set of processes.
cpu_of() { # pids...
    local t=0 p
    for p in "$@"; do
        if [ -r "/proc/$p/stat" ]; then
            t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
        fi
    done
    echo "$t"
}
pg_pids() { pgrep -u postgres -d ' ' postgres 2>/dev/null || true; }
TICK=$(getconf CLK_TCK)

start_server() { # args...
    : >"$WORK/stdout"
    VAULT_LOG=warn "$BIN" --listen 127.0.0.1:0 --login-starts-per-minute 1000000000 "$@" \
        >"$WORK/stdout" 2>>"$SERVER_LOG" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        grep -q "listening on" "$WORK/stdout" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; exit 1; }
        sleep 0.1
    done
    URL=$(sed -n 's/^vault-server listening on //p' "$WORK/stdout")
    [ -n "$URL" ] || { say "server did not start"; cat "$SERVER_LOG" >&2; exit 1; }
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

# run LABEL SCENARIO [ARGS...]: one loadgen scenario; prints its line and the
# CPU the server and Postgres used meanwhile (whole run, setup included).
run() {
    local label=$1; shift
    local s0 p0 t0 s1 p1 t1 pids
    pids=$(pg_pids)
    s0=$(cpu_of "$SERVER_PID"); p0=$(cpu_of $pids); t0=$(date +%s.%N)
    "$LOADGEN" --url "$URL" -c "$CONNS" -d "$DURATION" --warmup "$WARMUP" --label "$label" "$@" \
        2>"$WORK/lg.err" >>"$RESULTS" || { cat "$WORK/lg.err"; return 1; }
    s1=$(cpu_of "$SERVER_PID"); p1=$(cpu_of $pids); t1=$(date +%s.%N)
    grep -v '^seeded' "$WORK/lg.err" | sed "s/^/  [$label] /"
    awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v t0="$t0" -v t1="$t1" -v hz="$TICK" -v l="$label" 'BEGIN {
        w = t1 - t0; printf "  [%s]   CPU meanwhile (%.0f s incl. setup): vault-server %.0f%%, postgres %.0f%% of one core\n", l, w, 100*s/hz/w, 100*p/hz/w }'
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

backend_args() {
    case $1 in
        sqlite) echo "--data-dir $WORK/sqlite" ;;
        postgres) echo "--data-dir $WORK/pg --database-url postgres://${PGDB/db_/app_}@$PGHOST:$PGPORT/$PGDB --migrate-url postgres://${PGDB/db_/owner_}@$PGHOST:$PGPORT/$PGDB" ;;
    esac
}

for backend in $BACKENDS; do
    say ""
    say "-- $backend --"
    SERVER_LOG="$OUT/server-$backend.log"
    : >"$SERVER_LOG"
    if [ "$backend" = postgres ]; then
        suffix=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
        PGDB="vault_bench_db_$suffix"
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qAt \
            -c "CREATE ROLE ${PGDB/db_/owner_} LOGIN" -c "CREATE ROLE ${PGDB/db_/app_} LOGIN" \
            -c "CREATE DATABASE $PGDB OWNER ${PGDB/db_/owner_}" >/dev/null
        say "database: $PGDB on $PGHOST:$PGPORT ($(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qAt -c 'SHOW server_version'))"
    fi
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
    if [ "$backend" = postgres ]; then
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qAt \
            -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" \
            -c "DROP ROLE IF EXISTS ${PGDB/db_/app_}" -c "DROP ROLE IF EXISTS ${PGDB/db_/owner_}" >/dev/null
        PGDB=""
    fi
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
