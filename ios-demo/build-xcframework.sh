#!/usr/bin/env bash
# Builds the Rust core (crate sangam-ffi) as a static library for iOS devices and simulators,
# wraps it with the generated C header and module map into SangamFFI.xcframework, and copies
# the generated Swift bindings into Sources/Sangam/Sangam.swift. Run on a Mac with Xcode:
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   ios-demo/build-xcframework.sh            # release; SANGAM_RUST_PROFILE=debug for debug
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile="${SANGAM_RUST_PROFILE:-release}"
flag=""; [ "$profile" = release ] && flag="--release"
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo)" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode and run xcode-select" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
if command -v rustup >/dev/null; then
  installed="$(rustup target list --installed)"
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || { echo "missing Rust target $t: rustup target add $t" >&2; exit 1; }
  done
fi

cd "$root"
export IPHONEOS_DEPLOYMENT_TARGET=16.0
# The static library is asked for here only (the crate's default types are the Rust library and
# the shared library the JVM tests and Android load), so other builds do not write a 250 MB
# archive they never use.
for t in "${targets[@]}"; do
  cargo rustc $flag -p sangam-ffi --lib --crate-type staticlib --target "$t"
done

# Swift bindings, header and module map from the device library (library mode reads the
# interface from the metadata in the built library).
gen="$here/Generated"
rm -rf "$gen"
cargo run -q -p sangam-ffi --bin uniffi-bindgen -- generate \
  --library "target/aarch64-apple-ios/$profile/libsangam_ffi.a" --language swift --out-dir "$gen/swift"

headers="$gen/headers"
mkdir -p "$headers"
cp "$gen/swift/SangamFFI.h" "$headers/"
# Clang finds a framework's module map by the name module.modulemap.
cp "$gen/swift/SangamFFI.modulemap" "$headers/module.modulemap"

# One library for both simulator architectures.
sim="$gen/ios-simulator"
mkdir -p "$sim"
lipo -create \
  "target/aarch64-apple-ios-sim/$profile/libsangam_ffi.a" \
  "target/x86_64-apple-ios/$profile/libsangam_ffi.a" \
  -output "$sim/libsangam_ffi.a"

rm -rf "$here/SangamFFI.xcframework"
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$profile/libsangam_ffi.a" -headers "$headers" \
  -library "$sim/libsangam_ffi.a" -headers "$headers" \
  -output "$here/SangamFFI.xcframework"

cp "$gen/swift/Sangam.swift" "$here/Sources/Sangam/Sangam.swift"
echo "Built $here/SangamFFI.xcframework and $here/Sources/Sangam/Sangam.swift"
