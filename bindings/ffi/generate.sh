#!/usr/bin/env bash
# Builds vault-ffi and generates the Kotlin, Swift and Python sources from the
# built library (UniFFI library mode). Generated code is not committed: it
# goes to bindings/ffi/generated/ (and the Swift package's Sources/VaultFFI/),
# both git-ignored.
#
#   bindings/ffi/generate.sh                 # application API (release build)
#   bindings/ffi/generate.sh --test-vectors  # + Rng.seeded and the test-only
#                                            #   entry points the vector suites use
#
# Output:
#   generated/lib/libvault_ffi.{so,dylib}   the host library the sources were generated from
#   generated/kotlin/dev/vault/ffi/vault_ffi.kt
#   generated/swift/{VaultFFI.swift,VaultCoreFFI.h,VaultCoreFFI.modulemap}
#   generated/python/{vault_ffi.py,libvault_ffi.so}
#   generated/MODE                           "test-vectors" or "app"
#   ../swift/Sources/VaultFFI/VaultFFI.swift (copy, for SwiftPM)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

features=()
mode=app
for arg in "$@"; do
  case "$arg" in
    --test-vectors) features=(--features test-vectors); mode=test-vectors ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="$here/generated"

case "$(uname -s)" in
  Darwin) libname=libvault_ffi.dylib ;;
  *) libname=libvault_ffi.so ;;
esac

if [ "$mode" = test-vectors ] && [ -n "${VAULT_PREBUILT_DIR:-}" ] &&
  [ -f "$VAULT_PREBUILT_DIR/$libname" ] && [ -x "$VAULT_PREBUILT_DIR/uniffi-bindgen" ]; then
  # scripts/test.sh built the whole workspace once (--all-features, so the
  # test-vector entry points are in): reuse that library and bindgen.
  echo "generate: using the workspace build in $VAULT_PREBUILT_DIR" >&2
  lib="$VAULT_PREBUILT_DIR/$libname"
  bindgen_dir="$VAULT_PREBUILT_DIR"
else
  # Two separate cargo commands on purpose: building the bindgen bin
  # (uniffi/cli) together with the library would unify features and rebuild
  # everything.
  echo "generate: building uniffi-bindgen" >&2
  cargo build --release -p uniffi-bindgen
  echo "generate: building vault-ffi (${mode})" >&2
  cargo build --release -p vault-ffi --lib ${features[@]+"${features[@]}"}
  lib="$target_dir/release/$libname"
  bindgen_dir="$target_dir/release"
fi
[ -f "$lib" ] || { echo "generate: $lib not found" >&2; exit 1; }

# Keep generated/jniLibs (bindings/kotlin/build-android-libs.sh) across runs.
rm -rf "$out/lib" "$out/kotlin" "$out/swift" "$out/python" "$out/MODE"
mkdir -p "$out/lib" "$out/kotlin" "$out/swift" "$out/python"
# Copy first: another build in the shared target dir may replace the original.
cp "$lib" "$out/lib/$libname"
bindgen="$bindgen_dir/uniffi-bindgen"
for lang in kotlin swift python; do
  "$bindgen" generate "$out/lib/$libname" --crate vault_ffi \
    --config "$here/uniffi.toml" --language "$lang" --out-dir "$out/$lang" --no-format
done
cp "$out/lib/$libname" "$out/python/$libname"
echo "$mode" > "$out/MODE"

swift_sources="$root/bindings/swift/Sources/VaultFFI"
mkdir -p "$swift_sources"
cp "$out/swift/VaultFFI.swift" "$swift_sources/VaultFFI.swift"

echo "generate: ${mode} bindings in ${out#"$root"/}" >&2
find "$out" -type f | sed "s|^$root/||" | sort >&2
