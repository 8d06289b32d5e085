#!/usr/bin/env bash
# vault-core performance, side by side with the references (issue 2).
#
#   bash bench/compare.sh            # from the repository root; no stdin needed
#
# Ours: vault-core/examples/bench_figures.rs, built --release --features
# parallel (the shipped profile: thin LTO, no target-cpu flags), printing
# key=value medians measured with std::time::Instant.
# References, measured in the same run on the same machine:
#   - Argon2id: argon2-cffi (libargon2, the C reference; venv under target/)
#     and Debian's `argon2` CLI (same C reference, Debian's build), same params.
#   - AEAD: `openssl speed -evp chacha20-poly1305 | aes-256-gcm` (and -aead).
# Installs what is missing (pip into target/bench-venv; apt-get as root) and
# skips a reference it cannot get. Knobs: RUNS (Argon2id runs per tool, 7),
# OSSL_SECONDS (per openssl measurement, 2).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
RUNS=${RUNS:-7}
OSSL_SECONDS=${OSSL_SECONDS:-2}
START=$(date +%s)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*"; }
# fmt VALUE [DECIMALS]: a number, or "-" when missing.
num() { if [ -n "${1:-}" ]; then printf "%.${2:-1}f" "$1"; else printf -- '-'; fi; }
# ratio A B: A/B to two decimals, or "-".
ratio() { if [ -n "${1:-}" ] && [ -n "${2:-}" ]; then awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else printf "-" }'; else printf -- '-'; fi; }
# verdict OK-CONDITION(awk expr over x) X
verdict() { if [ -n "${2:-}" ] && [ "$2" != "-" ]; then awk -v x="$2" "BEGIN{ if ($1) print \"MET\"; else print \"MISSED\" }"; else echo "n/a"; fi; }

say "== vault-core vs references (bench/compare.sh) =="
say "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
say "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU busy % over 2 s before we start (other users of this shared machine).
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
read -r B0 T0 < <(cpu_sample); sleep 2; read -r B1 T1 < <(cpu_sample)
BUSY=$(( (B1 - B0) * 100 / (T1 - T0 > 0 ? T1 - T0 : 1) ))
say "other CPU use just before the run: ${BUSY}% of all cores$([ "$BUSY" -gt 10 ] && echo '  WARNING: machine busy, figures (above all the all-cores ones) will read low')"
say ""

# ---------------------------------------------------------------- ours
say "building ours: cargo build --release -p vault-core --features parallel --example bench_figures"
if ! cargo build -q --release -p vault-core --features parallel --example bench_figures; then
    say "FAILED to build bench_figures"; exit 1
fi
OURS="$WORK/ours.txt"
say "measuring ours: cargo run --release -p vault-core --features parallel --example bench_figures"
if ! BENCH_ARGON2_RUNS="$RUNS" cargo run -q --release -p vault-core --features parallel --example bench_figures >"$OURS"; then
    say "FAILED to run bench_figures"; exit 1
fi
fig() { sed -n "s/^$1=//p" "$OURS" | head -1; }

# ---------------------------------------------------------------- references: install
PY=""
if python3 -c 'import argon2' 2>/dev/null; then
    PY=python3
elif [ -x target/bench-venv/bin/python ] && target/bench-venv/bin/python -c 'import argon2' 2>/dev/null; then
    PY=target/bench-venv/bin/python
else
    say "installing argon2-cffi into target/bench-venv (pip)"
    if python3 -m venv target/bench-venv >/dev/null 2>&1 &&
        target/bench-venv/bin/pip install -q argon2-cffi >/dev/null 2>&1; then
        PY=target/bench-venv/bin/python
    elif python3 -m pip install -q --user argon2-cffi >/dev/null 2>&1; then
        PY=python3
    else
        say "  could not install argon2-cffi: skipping that reference"
    fi
fi
if ! command -v argon2 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Debian's argon2 CLI (apt-get)"
    apt-get install -y -qq argon2 >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq argon2 >/dev/null 2>&1; } ||
        say "  could not install argon2: skipping that reference"
fi

# ---------------------------------------------------------------- references: Argon2id
# Same inputs as bench_figures (password "password", salt "somesaltsomesalt",
# m=65536 KiB, t=3, p=4, 32-byte output); median of RUNS after one warm-up.
say "measuring the C reference (Argon2id, $RUNS runs each)"
REF="$WORK/ref.txt"
: >"$REF"
ARGON2_CLI=$(command -v argon2 || true)
cat >"$WORK/argon2_ref.py" <<'EOF'
import statistics, subprocess, sys, time
runs, py_ok, cli = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3]
pw, salt = b"password", b"somesaltsomesalt"
def median_ms(f):
    f()
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)
if py_ok:
    from importlib.metadata import version
    from argon2.low_level import Type, hash_secret_raw
    f = lambda: hash_secret_raw(pw, salt, time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, type=Type.ID)
    print("cffi_hex=" + f().hex())
    print("cffi_version=argon2-cffi %s, argon2-cffi-bindings %s" % (version("argon2-cffi"), version("argon2-cffi-bindings")))
    print("cffi_ms=%.3f" % median_ms(f))
if cli:
    cmd = [cli, salt.decode(), "-id", "-t", "3", "-m", "16", "-p", "4", "-l", "32", "-r"]
    f = lambda: subprocess.run(cmd, input=pw, capture_output=True, check=True).stdout
    print("cli_hex=" + f().decode().strip())
    print("cli_ms=%.3f" % median_ms(f))
EOF
if [ -n "$PY" ] || [ -n "$ARGON2_CLI" ]; then
    "${PY:-python3}" "$WORK/argon2_ref.py" "$RUNS" "$([ -n "$PY" ] && echo 1 || echo 0)" "$ARGON2_CLI" >"$REF" ||
        say "  reference run failed"
fi
ref() { sed -n "s/^$1=//p" "$REF" | head -1; }

# ---------------------------------------------------------------- references: OpenSSL
say "measuring OpenSSL ($(openssl version | cut -d' ' -f1-2); -seconds $OSSL_SECONDS per figure)"
# ossl ALG BYTES [-aead] -> MB/s (10^6 bytes/s), wall clock, one core.
ossl() {
    openssl speed -mr -elapsed -seconds "$OSSL_SECONDS" -bytes "$2" ${3:-} -evp "$1" 2>/dev/null |
        awk -F: '/^\+F:/ { printf "%.1f", $NF / 1e6 }'
}
declare -A OSSL
for alg in chacha20-poly1305 aes-256-gcm; do
    for size in 16384 256; do
        OSSL[$alg,$size]=$(ossl "$alg" "$size")
        OSSL[$alg,$size,aead]=$(ossl "$alg" "$size" -aead)
    done
    # Context only: OpenSSL's AVX2 path (AVX-512F masked off), as most client CPUs have.
    OSSL[$alg,16384,noavx512]=$(OPENSSL_ia32cap=':~0x10000' ossl "$alg" 16384)
done

# ---------------------------------------------------------------- report
say ""
say "== 1. Argon2id m=64 MiB, t=3, p=4 (median of $RUNS runs, ms; lower is better) =="
OURS_MS=$(fig argon2id_ms)
CFFI_MS=$(ref cffi_ms)
CLI_MS=$(ref cli_ms)
printf '%-58s %9s %12s\n' "implementation" "ms" "ours/this"
printf '%-58s %9s %12s\n' "ours: RustCrypto argon2, --features parallel ($(num "$(fig argon2id_threads)" 0) threads)" "$(num "$OURS_MS")" "1.00"
printf '%-58s %9s %12s\n' "ours, same build, lanes forced onto 1 thread" "$(num "$(fig argon2id_1thread_ms)")" "$(ratio "$OURS_MS" "$(fig argon2id_1thread_ms)")"
printf '%-58s %9s %12s\n' "C reference via $(ref cffi_version | cut -d, -f1) (4 threads)" "$(num "$CFFI_MS")" "$(ratio "$OURS_MS" "$CFFI_MS")"
printf '%-58s %9s %12s\n' "C reference: Debian argon2 CLI (4 threads, incl. exec)" "$(num "$CLI_MS")" "$(ratio "$OURS_MS" "$CLI_MS")"
SAME="-"
OHEX=$(fig argon2id_check_hex)
if [ -n "$(ref cffi_hex)$(ref cli_hex)" ]; then
    SAME=yes
    for h in "$(ref cffi_hex)" "$(ref cli_hex)"; do [ -z "$h" ] || [ "$h" = "$OHEX" ] || SAME=NO; done
fi
say "same output for the same inputs (proves same params): $SAME"
R=$(ratio "$OURS_MS" "$CFFI_MS")
say "goal: ours <= 1.1x the C reference (argon2-cffi): ratio $R -> $(verdict 'x<=1.1' "$R")"

say ""
say "== 2. AEAD throughput, one core, MB/s (10^6 B/s; higher is better) =="
say "ours = vault_core::primitives (caller buffers, fixed nonce, 13 B AAD, key setup per message)"
say "openssl = 'openssl speed -evp ALG' (one context, update calls only); -aead = TLS-like per message (init, AAD, tag)"
say "NOTE: OpenSSL has no XChaCha20-Poly1305; its chacha20-poly1305 is IETF ChaCha (12-byte nonce). Our default"
say "      envelope is XChaCha (24-byte nonce: one extra HChaCha20 block per message); both of ours are shown."
printf '%-34s %6s %9s %9s %9s %9s %10s %10s\n' "ours" "bytes" "seal" "open" "openssl" "-aead" "seal/ossl" "open/ossl"
row() { # label key size openssl-alg
    local s o r ra
    s=$(fig "${2/KIND/seal}_$3_MBps")
    o=$(fig "${2/KIND/open}_$3_MBps")
    r=${OSSL[$4,$3]}; ra=${OSSL[$4,$3,aead]}
    printf '%-34s %6s %9s %9s %9s %9s %10s %10s\n' "$1" "$3" "$(num "$s" 0)" "$(num "$o" 0)" "$(num "$r" 0)" "$(num "$ra" 0)" "$(ratio "$s" "$r")" "$(ratio "$o" "$r")"
}
for size in 16384 256; do
    row "ChaCha20-Poly1305 (IETF)" prim_KIND_chacha "$size" chacha20-poly1305
    row "XChaCha20-Poly1305 (default)" prim_KIND_xchacha "$size" chacha20-poly1305
    row "AES-256-GCM" prim_KIND_aesgcm "$size" aes-256-gcm
    row "Envelope XChaCha (OS nonce, alloc)" env_KIND_xchacha "$size" chacha20-poly1305
    row "Envelope AES-256-GCM (ditto)" env_KIND_aesgcm "$size" aes-256-gcm
done
say "context: OpenSSL with AVX-512 masked (OPENSSL_ia32cap=':~0x10000', its AVX2 code) at 16 KiB:" \
    "chacha20-poly1305 $(num "${OSSL[chacha20-poly1305,16384,noavx512]}" 0) MB/s (ours IETF seal/that: $(ratio "$(fig prim_seal_chacha_16384_MBps)" "${OSSL[chacha20-poly1305,16384,noavx512]}"))," \
    "aes-256-gcm $(num "${OSSL[aes-256-gcm,16384,noavx512]}" 0) MB/s (ours seal/that: $(ratio "$(fig prim_seal_aesgcm_16384_MBps)" "${OSSL[aes-256-gcm,16384,noavx512]}"))"
for k in chacha xchacha aesgcm; do
    alg=chacha20-poly1305; [ $k = aesgcm ] && alg=aes-256-gcm
    worst=$(awk -v a="$(fig prim_seal_${k}_16384_MBps)" -v b="$(fig prim_open_${k}_16384_MBps)" 'BEGIN{print (a<b)?a:b}')
    R=$(ratio "$worst" "${OSSL[$alg,16384]}")
    say "goal at 16 KiB, $k (slower of seal/open) >= 0.75 x openssl $alg: $R -> $(verdict 'x>=0.75' "$R")"
done

say ""
say "== 3. Unlock: list screen of a $(num "$(fig unlock_items)" 0)-item vault (median of 15 runs, ms; lower is better) =="
say "login items built with VaultKey::encrypt_item: $(num "$(fig unlock_sealed_bytes_per_item)" 0) B sealed per item, of which the list screen opens $(num "$(fig unlock_opened_bytes_per_item)" 0) B (item key + overview)"
ONE=$(fig unlock_1core_ms)
ALL=$(fig unlock_allcores_ms)
printf '%-58s %9s %12s\n' "decrypt_list, one core" "$(num "$ONE" 2)" "$(num "$(awk -v t="$ONE" 'BEGIN{print t*1000/10000}')" 2) us/item"
printf '%-58s %9s %12s\n' "decrypt_list_parallel, all cores ($(num "$(fig unlock_threads)" 0) threads)" "$(num "$ALL" 2)" "$(ratio "$ONE" "$ALL")x"
say "goal: one core <= 25 ms: $(verdict 'x<=25' "$ONE")  (DESIGN.md aims at <= 11 ms)"

say ""
say "== extra: one small field (256 B) parse + decrypt (Envelope::from_text + open) =="
say "$(num "$(fig field256_parse_open_ns)" 0) ns/op = $(num "$(awk -v n="$(fig field256_parse_open_ns)" 'BEGIN{print 1e9/n/1000}')" 0)k ops/s (DESIGN.md aim: >= 1000k ops/s; Bitwarden SDK 152k)"

say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (this run itself adds about 1); took $(( $(date +%s) - START )) s"
