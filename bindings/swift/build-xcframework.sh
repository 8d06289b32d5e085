#!/usr/bin/env bash
# macOS only (Xcode command-line tools + rustup). Builds libvault_ffi as a
# static library for every Apple slice, generates the Swift sources, and
# assembles VaultCoreFFI.xcframework next to Package.swift. Not run on the
# Linux CI (no Apple toolchain there).
#
#   bindings/swift/build-xcframework.sh                 # app build
#   bindings/swift/build-xcframework.sh --test-vectors  # for `swift test`
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS and Xcode" >&2; exit 1; }

features=()
gen_args=()
if [ "${1:-}" = "--test-vectors" ]; then
  features=(--features test-vectors)
  gen_args=(--test-vectors)
fi

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
cd "$root"
for t in "${targets[@]}"; do
  cargo build --release -p vault-ffi --lib --target "$t" ${features[@]+"${features[@]}"}
done

# Swift sources, header and modulemap (generated from the host build).
bash "$root/bindings/ffi/generate.sh" ${gen_args[@]+"${gen_args[@]}"}
gen="$root/bindings/ffi/generated/swift"

out="$root/target/xcframework"
rm -rf "$out" "$here/VaultCoreFFI.xcframework"
mkdir -p "$out/headers" "$out/ios-sim" "$out/macos"
cp "$gen/VaultCoreFFI.h" "$out/headers/"
cp "$gen/VaultCoreFFI.modulemap" "$out/headers/module.modulemap"

lib=libvault_ffi.a
lipo -create "target/aarch64-apple-ios-sim/release/$lib" "target/x86_64-apple-ios/release/$lib" \
  -output "$out/ios-sim/$lib"
lipo -create "target/aarch64-apple-darwin/release/$lib" "target/x86_64-apple-darwin/release/$lib" \
  -output "$out/macos/$lib"

xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/release/$lib" -headers "$out/headers" \
  -library "$out/ios-sim/$lib" -headers "$out/headers" \
  -library "$out/macos/$lib" -headers "$out/headers" \
  -output "$here/VaultCoreFFI.xcframework"

echo "built $here/VaultCoreFFI.xcframework and Sources/VaultFFI/VaultFFI.swift"
