#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property, crash, hostile-input, migration and
# end-to-end hub tests), the Kotlin binding test on the JVM, and the app-source check.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== Rust workspace tests"
cargo test --workspace
if [ "${SANGAM_PRUNE_TEST_BINARIES:-}" = 1 ]; then
  # CI: the debug test binaries have run; their space goes to the release build.
  deps="${CARGO_TARGET_DIR:-target}/debug/deps"
  [ ! -d "$deps" ] || find "$deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' -delete
  echo "== disk: $(df -Ph . | awk 'NR == 2 {print $4}') free after the debug tests"
fi
echo "== Hostile, trust-boundary, property and crash tests in the release profile (what ships)"
cargo test --release -p sangam-core --test hostile --test trust_boundary --test convergence --test crash --test fuzz_regressions
echo "== Kotlin bindings on the JVM"
bash android-demo/kotlin-tests/run.sh
echo "== The Android app's data layer on the JVM"
bash android-demo/data-layer-test/run.sh
echo "== The Android app's data and platform layers against the real Android API 23 jar"
bash android-demo/api-check/run.sh
echo "== SangamKit (the iOS app's model) built and tested with Swift on Linux"
bash ios-demo/linux/run.sh
echo "== Android and iOS app sources"
python3 scripts/check_apps.py
echo "== all tests passed"
