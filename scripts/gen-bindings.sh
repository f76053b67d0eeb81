#!/usr/bin/env bash
# Builds the sangam-ffi library and generates its Kotlin and Swift bindings into build/bindings.
# Usage: scripts/gen-bindings.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-debug}"
flag=""; [ "$profile" = release ] && flag="--release"
# One invocation for both, so shared dependencies are built once with one feature set.
cargo build -p sangam-ffi -p sangam-hub $flag
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the workspace), else target/.
target="${CARGO_TARGET_DIR:-target}"
lib="$target/$profile/libsangam_ffi.so"
[ -f "$lib" ] || lib="$target/$profile/libsangam_ffi.dylib"
rm -rf build/bindings
for lang in kotlin swift; do
  cargo run -q -p sangam-ffi --bin uniffi-bindgen -- generate --library "$lib" \
    --language "$lang" --out-dir "build/bindings/$lang"
done
echo "bindings in build/bindings/{kotlin,swift} (library: $lib)"
