#!/usr/bin/env bash
# The UniFFI binding suites, from a fresh machine, with no stdin:
#   1. installs what they need, skipping what is present: clang, JNA and
#      JUnit 4 (Debian packages), the Kotlin compiler (npm `kotlin-compiler`,
#      into target/binding-tools/), a JDK if `java` is missing;
#   2. builds vault-ffi with --features test-vectors and generates Kotlin,
#      Swift and Python (bindings/ffi/generate.sh);
#   3. runs the Kotlin suite on the host JVM (kotlinc + JNA), the 10,000-item
#      Kotlin decrypt bench, the Python suite, and the Swift header / symbol /
#      checksum check (no Swift compiler exists here; see bindings/swift/README.md);
#   4. runs the independent gRPC client (python/test_grpc.py): grpcio from PyPI
#      (pinned in python/requirements-grpc.txt, venv target/grpc-pyvenv)
#      compiles proto/vault/secrets/v1/secrets.proto and drives the real
#      vault-server and `vault` binaries (from $VAULT_PREBUILT_DIR when
#      scripts/test.sh built them, else built here), decrypting with the
#      Python binding generated in step 2.
#
# Each suite prints a closing `<suite>: N passed, M failed`; the script exits
# non-zero if any suite fails. SKIP_BENCH=1 skips the bench.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
tools="$target_dir/binding-tools"
kotlin_version="2.4.20"
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n--- %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
die() { echo "bindings: $*" >&2; exit 1; }

step "tools"
apt_missing=()
command -v clang >/dev/null || apt_missing+=(clang)
[ -f /usr/share/java/jna.jar ] || apt_missing+=(libjna-java)
[ -f /usr/share/java/junit4.jar ] || apt_missing+=(junit4)
command -v java >/dev/null || apt_missing+=(default-jdk-headless)
command -v python3 >/dev/null || apt_missing+=(python3)
# The gRPC client's venv (Debian's python3 has venv without ensurepip).
command -v python3 >/dev/null && ! python3 -c 'import venv, ensurepip' 2>/dev/null &&
  apt_missing+=(python3-venv)
command -v nm >/dev/null || apt_missing+=(binutils)
if [ "${#apt_missing[@]}" -gt 0 ]; then
  echo "apt-get install ${apt_missing[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq </dev/null || die "apt-get update failed"
  $sudo_ apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" </dev/null >/dev/null ||
    die "apt-get install ${apt_missing[*]} failed"
fi
kotlinc="$tools/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$kotlinc" ]; then
  command -v npm >/dev/null || die "npm is needed to install the Kotlin compiler"
  echo "npm install kotlin-compiler@$kotlin_version (into ${tools#"$root"/})"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "kotlin-compiler@$kotlin_version" </dev/null ||
    die "npm install kotlin-compiler failed"
fi
jna=/usr/share/java/jna.jar
junit=/usr/share/java/junit4.jar
echo "java: $(java -version 2>&1 | head -1)"
echo "kotlinc: $("$kotlinc" -version 2>&1 | tail -1)"
echo "clang: $(clang --version | head -1)"

step "build and generate (test-vectors)"
bash "$here/generate.sh" --test-vectors || die "generate.sh failed"
gen="$here/generated"
[ "$(cat "$gen/MODE")" = test-vectors ] || die "generated bindings are not a test-vectors build"

results=()
status=0
record() { # suite-name, exit code, closing line
  results+=("$3")
  [ "$2" -eq 0 ] || status=1
}

step "kotlin (host JVM, kotlinc + JNA)"
kt_out="$target_dir/kotlin-tests"
mkdir -p "$kt_out"
jar="$kt_out/vault-kotlin-tests.jar"
if "$kotlinc" -nowarn -cp "$jna:$junit" \
    "$gen/kotlin" "$root/bindings/kotlin/src/main/kotlin" \
    "$root/bindings/kotlin/src/test/kotlin" "$root/bindings/kotlin/src/bench/kotlin" \
    -include-runtime -d "$jar"; then
  (cd "$root/bindings/kotlin" &&
    java -Djna.library.path="$gen/lib" -cp "$jar:$jna" dev.vault.TestMainKt "$root/test-vectors") |
    tee "$kt_out/test.log"
  rc=${PIPESTATUS[0]}
  line="$(grep -E '^kotlin: [0-9]+ passed, [0-9]+ failed' "$kt_out/test.log" | tail -1)"
  [ -n "$line" ] || { line="kotlin: 0 passed, 1 failed"; rc=1; }
  record kotlin "$rc" "$line"
  if [ -z "${SKIP_BENCH:-}" ]; then
    step "kotlin bench (10,000 items through JNA)"
    java -Djna.library.path="$gen/lib" -cp "$jar:$jna" dev.vault.DecryptBenchKt 10000 15 ||
      echo "kotlin bench failed (not counted as a test)"
  fi
else
  echo "kotlin: compilation failed"
  record kotlin 1 "kotlin: 0 passed, 1 failed"
fi

step "python (UniFFI harness)"
python3 "$here/python/test_vectors.py" --generated "$gen/python" --vectors "$root/test-vectors" |
  tee "$target_dir/python-bindings-test.log"
rc=${PIPESTATUS[0]}
line="$(grep -E '^python: [0-9]+ passed, [0-9]+ failed' "$target_dir/python-bindings-test.log" | tail -1)"
[ -n "$line" ] || { line="python: 0 passed, 1 failed"; rc=1; }
record python "$rc" "$line"

step "swift (header, modulemap, symbols, checksums; Swift tests are not run here)"
bash "$root/bindings/swift/check.sh" "$gen" | tee "$target_dir/swift-check.log"
rc=${PIPESTATUS[0]}
line="$(grep -E '^swift-check: [0-9]+ passed, [0-9]+ failed' "$target_dir/swift-check.log" | tail -1)"
[ -n "$line" ] || { line="swift-check: 0 passed, 1 failed"; rc=1; }
record swift "$rc" "$line"

step "grpc-python (independent gRPC client: grpcio + the Python binding against vault-server)"
grpc_log="$target_dir/grpc-python-test.log"
grpc_bins=""
if [ -n "${VAULT_PREBUILT_DIR:-}" ] && [ -x "$VAULT_PREBUILT_DIR/vault-server" ] &&
  [ -x "$VAULT_PREBUILT_DIR/vault" ]; then
  echo "binaries: the workspace build in $VAULT_PREBUILT_DIR"
  grpc_bins="$VAULT_PREBUILT_DIR"
elif cargo build -p vault-cli -p vault-server --bins; then
  grpc_bins="$target_dir/debug"
fi
if [ -n "$grpc_bins" ]; then
  python3 "$here/python/test_grpc.py" --generated "$gen/python" \
    --server-bin "$grpc_bins/vault-server" --vault-bin "$grpc_bins/vault" </dev/null |
    tee "$grpc_log"
  rc=${PIPESTATUS[0]}
else
  echo "grpc-python: building vault-server and vault failed" | tee "$grpc_log"
  rc=1
fi
line="$(grep -E '^grpc-python: [0-9]+ passed, [0-9]+ failed' "$grpc_log" | tail -1)"
[ -n "$line" ] || { line="grpc-python: 0 passed, 1 failed"; rc=1; }
record grpc-python "$rc" "$line"

step "summary"
printf '%s\n' "${results[@]}"
exit "$status"
