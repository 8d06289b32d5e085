# Shared by bench/server/run.sh and bench/server/secrets.sh (sourced, not
# run): the machine header, CPU accounting, a fresh Postgres database per
# backend run, and starting/stopping a release vault-server.
#
# The caller sets ROOT, WORK (a temporary directory), OUT, BIN (the
# vault-server binary), SERVER_LOG before start_server, and the PG* knobs.

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
SERVER_PID=""
PGDB=""

say() { printf '%s\n' "$*"; }

# The run's context: when, which commit, which machine, and how busy the
# machine was just before (other load makes every figure read low).
machine_header() { # title
    say "== $1 =="
    say "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty)')"
    say "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    local b0 t0 b1 t1 busy
    read -r b0 t0 < <(cpu_sample); sleep 2; read -r b1 t1 < <(cpu_sample)
    busy=$(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
    say "other CPU use just before the run: ${busy}% of all cores$([ "$busy" -gt 10 ] && echo '  WARNING: machine busy, figures will read low')"
}
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }

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

# CPU of the server, of Postgres and of the whole machine over a window:
# cpu_window_start before the load, cpu_window_report LABEL after it.
# Postgres starts a backend per new pool connection during the load: the
# report counts the backends alive at either end (one that exited
# meanwhile is lost, which reads low, never high).
cpu_window_start() {
    W_PGPIDS=$(pg_pids)
    W_S0=$(cpu_of "$SERVER_PID"); W_P0=$(cpu_of $W_PGPIDS); W_T0=$(date +%s.%N)
    read -r W_B0 W_A0 < <(cpu_sample)
}
cpu_window_report() { # label [what]
    local s1 p1 t1 b1 a1 all
    all=$(printf '%s\n' $W_PGPIDS $(pg_pids) | sort -u)
    s1=$(cpu_of "$SERVER_PID"); p1=$(cpu_of $all); t1=$(date +%s.%N)
    read -r b1 a1 < <(cpu_sample)
    awk -v s=$((s1 - W_S0)) -v p=$((p1 - W_P0)) -v t0="$W_T0" -v t1="$t1" -v hz="$TICK" -v l="$1" \
        -v busy=$(( (b1 - W_B0) * 100 / (a1 - W_A0 > 0 ? a1 - W_A0 : 1) )) -v n="$(nproc)" -v what="${2:-incl. setup}" 'BEGIN {
        w = t1 - t0; printf "  [%s]   CPU meanwhile (%.0f s %s): vault-server %.0f%%, postgres %.0f%% of one core; whole machine %d%% busy (%d cores)\n", l, w, what, 100*s/hz/w, 100*p/hz/w, busy, n }'
}
TICK=$(getconf CLK_TCK)

psql_admin() { psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qAt "$@"; }

# A fresh database with its own owner (migrations) and app (RLS) roles.
pg_create() {
    local suffix
    suffix=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
    PGDB="vault_bench_db_$suffix"
    psql_admin -c "CREATE ROLE ${PGDB/db_/owner_} LOGIN" -c "CREATE ROLE ${PGDB/db_/app_} LOGIN" \
        -c "CREATE DATABASE $PGDB OWNER ${PGDB/db_/owner_}" >/dev/null
    say "database: $PGDB on $PGHOST:$PGPORT ($(psql_admin -c 'SHOW server_version'))"
}

pg_drop() {
    if [ -n "$PGDB" ]; then
        psql_admin -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" \
            -c "DROP ROLE IF EXISTS ${PGDB/db_/app_}" -c "DROP ROLE IF EXISTS ${PGDB/db_/owner_}" >/dev/null || true
        PGDB=""
    fi
}

backend_args() { # backend
    case $1 in
        sqlite) echo "--data-dir $WORK/sqlite" ;;
        postgres) echo "--data-dir $WORK/pg --database-url postgres://${PGDB/db_/app_}@$PGHOST:$PGPORT/$PGDB --migrate-url postgres://${PGDB/db_/owner_}@$PGHOST:$PGPORT/$PGDB" ;;
    esac
}

start_server() { # args...
    : >"$WORK/stdout"
    VAULT_LOG="${BENCH_SERVER_LOG:-warn}" "$BIN" --listen 127.0.0.1:0 --login-starts-per-minute 1000000000 "$@" \
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

cleanup() {
    stop_server
    pg_drop
    rm -rf "$WORK"
}
