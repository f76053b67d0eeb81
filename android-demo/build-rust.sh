#!/usr/bin/env bash
# Builds the Rust core (crate sangam-ffi) for Android with cargo-ndk into
# app/src/main/jniLibs/<abi>/libsangam_ffi.so, then generates the Kotlin bindings (package
# org.sangam) into app/build/generated/uniffi with the workspace's pinned uniffi-bindgen.
# Gradle runs this before every build (task :app:buildRust); run it by hand to build the
# libraries once and then build with -Psangam.skipRust=true.
#
# Needs: rustup targets aarch64-linux-android armv7-linux-androideabi x86_64-linux-android,
# `cargo install cargo-ndk`, and an Android NDK (ANDROID_NDK_HOME, or ANDROID_HOME with
# ndk/<version> inside; r28 or newer links 16 KB-page-aligned libraries by default).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile="${SANGAM_RUST_PROFILE:-release}"

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
cargo ndk --version >/dev/null 2>&1 || { echo "cargo-ndk not found: cargo install cargo-ndk" >&2; exit 1; }
if command -v rustup >/dev/null; then
  installed="$(rustup target list --installed)"
  for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    grep -qx "$t" <<<"$installed" || { echo "missing Rust target $t: rustup target add $t" >&2; exit 1; }
  done
fi

cd "$root"
flag=""; [ "$profile" = release ] && flag="--release"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$here/app/src/main/jniLibs" build $flag -p sangam-ffi

# Library mode reads the interface from the metadata symbols of the built library (any ABI will
# do). cargo-ndk strips the copies it puts in jniLibs, so read cargo's own, unstripped output.
lib="$root/target/aarch64-linux-android/$profile/libsangam_ffi.so"
out="$here/app/build/generated/uniffi"
rm -rf "$out"
cargo run -q -p sangam-ffi --bin uniffi-bindgen -- generate --library "$lib" --language kotlin --out-dir "$out"
echo "Android libraries in $here/app/src/main/jniLibs; Kotlin bindings in $out"
