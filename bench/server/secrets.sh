#!/usr/bin/env bash
# Machine secrets over gRPC (issue 13), on Postgres and SQLite, and the goals'
# ratios in one run.
#
#   bash bench/server/secrets.sh        # from anywhere; about 2 minutes after the build
#
# Builds in release `vault-server`, the `vault` CLI and the load generator
# (vault-secrets/examples/secrets_load.rs). For each backend it starts a
# fresh server (Postgres: a fresh database with owner and app roles, dropped
# at the end; SQLite: a temporary directory), then, as a real admin would,
# with the CLI: registers an account, creates a project, sets 30 secrets
# (values from stdin), registers a service (its token in a 0600 file) and
# approves it for the whole project. Then, with the load generator on the
# same machine:
#   - GetSecret: CLIENTS connections x CONCURRENCY calls in flight, client
#     cache off, every call authenticated, audited (group commit) and
#     opened by the client; DURATION s after WARMUP s. The audit records
#     written meanwhile are counted from the database and compared with the
#     successful calls.
#   - GetSecrets of all 30 names, one call at a time, RUNS times: end to end,
#     client-side verification and decryption included.
#   - `vault run --env-file` with 30 `vault://` references, exec'ing `true`,
#     RUN_TIMES times, against exec'ing `true` directly. No account, no
#     password and no VAULT_DIR exist for these runs: the service token is the
#     credential, so no KDF can run on this path.
#
# Knobs: BACKENDS ("postgres sqlite"), CLIENTS (8), CONCURRENCY (4),
# DURATION (10), WARMUP (2), RUNS (300), RUN_TIMES (30), PGHOST/PGPORT/PGUSER.
# Results (JSON lines): target/bench-server/secrets.jsonl; server logs:
# target/bench-server/secrets-server-<backend>.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BACKENDS=${BACKENDS:-"postgres sqlite"}
CLIENTS=${CLIENTS:-8}
CONCURRENCY=${CONCURRENCY:-4}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
RUNS=${RUNS:-300}
RUN_TIMES=${RUN_TIMES:-30}
NSECRETS=30
OUT="$ROOT/target/bench-server"
mkdir -p "$OUT"
RESULTS="$OUT/secrets.jsonl"
: >"$RESULTS"
WORK=$(mktemp -d)
# shellcheck source=bench/server/lib.sh
source "$ROOT/bench/server/lib.sh"
trap cleanup EXIT

machine_header "machine secrets benchmarks (bench/server/secrets.sh)"
say "load:    GetSecret from $CLIENTS connections x $CONCURRENCY in flight, ${DURATION} s after ${WARMUP} s warm-up; load generator and server share the machine"

cargo build --release --quiet -p vault-server --bin vault-server -p vault-cli --bin vault \
    -p vault-secrets --example secrets_load
BIN="$ROOT/target/release/vault-server"
VAULT="$ROOT/target/release/vault"
LOAD="$ROOT/target/release/examples/secrets_load"

names=()
for i in $(seq -w 0 $((NSECRETS - 1))); do names+=("SECRET_$i"); done
names_csv=$(IFS=,; echo "${names[*]}")

# The number of `secret.access` audit records in the backend's database.
audit_reads() { # backend
    case $1 in
        postgres) psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDB" -qAt \
            -c "SELECT count(*) FROM audit_log WHERE action = 'secret.access'" ;;
        sqlite) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM audit_log WHERE action = ?", ("secret.access",)).fetchone()[0])' \
            "$WORK/sqlite/vault.db" ;;
    esac
}

setup() { # backend: account, project, secrets, an approved service
    local dir="$WORK/admin-$1" fp ref
    admin() { VAULT_DIR="$dir" VAULT_PASSWORD="bench admin password" VAULT_SERVER="$URL" "$VAULT" -q "$@"; }
    admin register "bench-$1@example.com" >/dev/null
    admin project create bench >"$WORK/project.out"
    ref=$(sed -n 2p "$WORK/project.out")
    for n in "${names[@]}"; do
        printf 'value of %s: %s' "$n" "$(head -c 24 /dev/urandom | base64)" | admin secret set bench "$n"
    done
    rm -f "$WORK/token"
    VAULT_SERVER="$URL" "$VAULT" service register --project "$ref" --name bench-svc --version 1.0.0 \
        --token-file "$WORK/token" 2>"$WORK/register.err"
    fp=$(sed -n 's/^Fingerprint: //p' "$WORK/register.err")
    admin service approve --project bench bench-svc --fingerprint "$fp" --whole-project >/dev/null
    : >"$WORK/env.tpl"
    for n in "${names[@]}"; do echo "$n=vault://bench/$n" >>"$WORK/env.tpl"; done
}

measure() { # backend
    local label=$1 a0 a1
    a0=$(audit_reads "$label")
    cpu_window_start
    "$LOAD" --url "$URL" --token-file "$WORK/token" --label "$label" get --name "${names[0]}" \
        --clients "$CLIENTS" --concurrency "$CONCURRENCY" -d "$DURATION" --warmup "$WARMUP" \
        2>"$WORK/lg.err" | tee -a "$RESULTS" >"$WORK/get.json" || { cat "$WORK/lg.err"; return 1; }
    sed "s/^/  [$label] /" "$WORK/lg.err"
    cpu_window_report "$label" "incl. connecting"
    # Group commit writes the batch before answering: every answered call
    # is in the log by now.
    a1=$(audit_reads "$label")
    python3 - "$WORK/get.json" "$a0" "$a1" "$label" >>"$RESULTS" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).read())
a0, a1, label = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"  [{label}]   audit records written: {a1 - a0} for {r['calls_ok']} successful calls (warm-up included)", file=sys.stderr)
print(json.dumps({"label": label, "scenario": "get-secret-audit", "audited": a1 - a0, "calls_ok": r["calls_ok"]}))
EOF

    "$LOAD" --url "$URL" --token-file "$WORK/token" --label "$label" get-many --names "$names_csv" \
        --runs "$RUNS" 2>"$WORK/lg.err" >>"$RESULTS" || { cat "$WORK/lg.err"; return 1; }
    sed "s/^/  [$label] /" "$WORK/lg.err"

    # `vault run`: no account anywhere (VAULT_DIR points at nothing, no
    # password in the environment), only the service token.
    python3 - "$VAULT" "$WORK/token" "$WORK/env.tpl" "$URL" "$RUN_TIMES" "$label" "$WORK/nothing" >>"$RESULTS" <<'EOF'
import json, os, statistics, subprocess, sys, time
vault, token, tpl, url, n, label, nothing = sys.argv[1:8]
env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
env.update(VAULT_SERVER=url, VAULT_SERVICE_TOKEN_FILE=token, VAULT_DIR=nothing)
def timed(cmd):
    out = []
    for _ in range(int(n)):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append((time.perf_counter() - t0) * 1000)
    return out
check = subprocess.run([vault, "run", "--env-file", tpl, "--", "sh", "-c", 'test -n "$SECRET_00" && test -n "$SECRET_29" && echo ok'],
                       env=env, check=True, capture_output=True, text=True)
assert check.stdout.strip() == "ok", check
assert not os.path.exists(nothing), "vault run created an account directory"
base = timed(["true"])
run = timed([vault, "run", "--env-file", tpl, "--", "true"])
mb, mr = statistics.median(base), statistics.median(run)
print(f"  [{label}] vault run (30 references, exec true): median {mr:.1f} ms, min {min(run):.1f} ms; exec true alone: median {mb:.1f} ms; overhead {mr - mb:.1f} ms ({n} runs each; no account, no password: no KDF)", file=sys.stderr)
print(json.dumps({"label": label, "scenario": "vault-run", "median_ms": round(mr, 3), "min_ms": round(min(run), 3), "baseline_ms": round(mb, 3), "overhead_ms": round(mr - mb, 3), "runs": int(n)}))
EOF
}

for backend in $BACKENDS; do
    say ""
    say "-- $backend --"
    SERVER_LOG="$OUT/secrets-server-$backend.log"
    : >"$SERVER_LOG"
    [ "$backend" = postgres ] && pg_create
    # shellcheck disable=SC2046
    start_server $(backend_args "$backend") ${SERVER_ARGS:-}
    setup "$backend"
    say "set up: 1 project, $NSECRETS secrets, 1 approved service"
    measure "$backend"
    stop_server
    pg_drop
done

say ""
say "== goals (issue 13) =="
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def verdict(ok): return "MET" if ok else "MISSED"
for r in rows:
    l = r["label"]
    if r["scenario"] == "get-secret":
        print(f'{l:<9} GetSecret, audited   {r["rps"]:7.0f} req/s ({r["rps"] / 5000:.2f}x the goal), p99 {r["p99_ms"]:6.2f} ms ({15 / max(r["p99_ms"], 1e-9):.2f}x under the goal)   goal >= 5000 req/s at p99 <= 15 ms (Postgres): {verdict(r["rps"] >= 5000 and r["p99_ms"] <= 15)}')
    if r["scenario"] == "get-secret-audit":
        print(f'{l:<9} audit                {r["audited"]} records for {r["calls_ok"]} answered calls: {verdict(r["audited"] >= r["calls_ok"])}')
    if r["scenario"] == "get-secrets":
        print(f'{l:<9} GetSecrets, 30 names p50 {r["p50_ms"]:6.2f} ms ({5 / max(r["p50_ms"], 1e-9):.2f}x under the goal), p99 {r["p99_ms"]:.2f} ms   goal p50 <= 5 ms incl. decryption: {verdict(r["p50_ms"] <= 5)}')
    if r["scenario"] == "vault-run":
        print(f'{l:<9} vault run, 30 refs   overhead {r["overhead_ms"]:6.1f} ms ({150 / max(r["overhead_ms"], 1e-9):.2f}x under the goal)   goal <= 150 ms, no KDF: {verdict(r["overhead_ms"] <= 150)}')
EOF
say "results: $RESULTS"
