#!/usr/bin/env bash
# Builds SangamKit (the iOS app's model and helpers, without the views) with the real Swift
# compiler on Linux and runs its XCTest tests against the Rust library and a real sangam-hub:
# `swift build` type-checks every use of the generated bindings, and `swift test` runs them.
# The toolchain is a Debian trixie chroot made by scripts/swift-toolchain.sh (.ci/run makes it).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
swiftroot="${SANGAM_SWIFT_ROOT:-/opt/sangam-swift}"
[ -f "$swiftroot/.sangam-swift-ready" ] || { echo "no Swift toolchain at $swiftroot: run scripts/swift-toolchain.sh"; exit 1; }
target="${CARGO_TARGET_DIR:-target}"; [[ "$target" = /* ]] || target="$root/$target"
[ -f build/bindings/swift/Sangam.swift ] || bash scripts/gen-bindings.sh debug
[ -x "$target/debug/sangam-hub" ] || cargo build -p sangam-hub

# The package, assembled inside the chroot (its .build cache stays there between runs).
pkg="$swiftroot/build/sangamkit"
rm -rf "$pkg/Sources" "$pkg/Tests" "$pkg/lib"
mkdir -p "$pkg/Sources/SangamFFI" "$pkg/Sources/Sangam" "$pkg/Sources/SangamKit" "$pkg/Tests" "$pkg/lib"
cp ios-demo/linux/Package.swift "$pkg/"
cp ios-demo/linux/module.modulemap build/bindings/swift/SangamFFI.h "$pkg/Sources/SangamFFI/"
cp build/bindings/swift/Sangam.swift "$pkg/Sources/Sangam/"
for f in ios-demo/Sources/SangamKit/*.swift; do
  case "$(basename "$f")" in
    Connectivity.swift) ;;  # Network.framework: Apple only
    *) cp "$f" "$pkg/Sources/SangamKit/" ;;
  esac
done
cp ios-demo/linux/LinuxShims.swift "$pkg/Sources/SangamKit/"
cp -r ios-demo/Tests/SangamKitTests "$pkg/Tests/"
cp "$target/debug/libsangam_ffi.so" "$pkg/lib/"

# A real hub for the tests: the deep-listening form published, a field worker and a
# coordinator enrolled.
work="$(mktemp -d)"
hub_pid=""
cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
  umount "$swiftroot/proc" 2>/dev/null || true
  umount "$swiftroot/dev" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
hub="$target/debug/sangam-hub"
token="$("$hub" device add --data "$work/hub" --name swift-phone --role field-worker --scope UP-SIT | tail -n 1)"
coord_token="$("$hub" device add --data "$work/hub" --name swift-tablet --role coordinator --scope UP-SIT | tail -n 1)"
"$hub" form publish --data "$work/hub" core/tests/fixtures/forms/deep_listening.xlsx --scope UP-SIT >/dev/null
"$hub" form publish --data "$work/hub" core/tests/fixtures/forms/nested_repeats.xlsx --scope UP-SIT >/dev/null
"$hub" serve --data "$work/hub" --listen 127.0.0.1:0 >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^listening on //p' "$work/hub.out" | head -n 1)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the hub did not start"; cat "$work/hub.err"; exit 1; }

mountpoint -q "$swiftroot/proc" || mount -t proc proc "$swiftroot/proc"
mountpoint -q "$swiftroot/dev" || mount --bind /dev "$swiftroot/dev"
chroot "$swiftroot" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LD_LIBRARY_PATH=/build/sangamkit/lib \
  SANGAM_TEST_HUB_URL="$url" SANGAM_TEST_TOKEN="$token" SANGAM_TEST_COORDINATOR_TOKEN="$coord_token" \
  bash -c "cd /build/sangamkit && swift test -Xlinker -L/build/sangamkit/lib 2>&1"
