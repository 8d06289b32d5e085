#!/usr/bin/env bash
# Builds libvault_ffi.so for the Android ABIs into bindings/ffi/generated/jniLibs
# (with cargo-ndk and an Android NDK) and generates the Kotlin sources. Needs
# ANDROID_NDK_HOME. Not run on the Linux CI (no NDK there).
#
#   bindings/kotlin/build-android-libs.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v cargo-ndk >/dev/null || cargo install cargo-ndk --locked
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android
# Generated Kotlin from the host build (app API, no test entry points).
bash bindings/ffi/generate.sh
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 \
  -o bindings/ffi/generated/jniLibs build --release -p vault-ffi --lib
echo "jniLibs in bindings/ffi/generated/jniLibs"
