#!/usr/bin/env bash
# Compiles the generated Kotlin bindings and the binding test with kotlinc, then runs the test
# on the JVM against the built library (JNA) and a real sangam-hub.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash scripts/gen-bindings.sh debug
# Cargo's target directory, as gen-bindings.sh built into it (CARGO_TARGET_DIR, else target/).
target="${CARGO_TARGET_DIR:-target}"; [[ "$target" = /* ]] || target="$root/$target"
# (gen-bindings.sh built sangam-hub alongside the library.)
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
[ -f "$jna" ] || { echo "JNA not found at $jna (install libjna-java)"; exit 1; }
kotlinc="${KOTLINC:-$(command -v kotlinc || echo "$(npm root -g 2>/dev/null)/kotlin-compiler/bin/kotlinc")}"
[ -x "$kotlinc" ] || { echo "kotlinc not found (npm install -g kotlin-compiler)"; exit 1; }
out="build/kotlin-test"
mkdir -p "$out"
"$kotlinc" -nowarn build/bindings/kotlin/org/sangam/*.kt android-demo/kotlin-tests/src/SangamBindingTest.kt \
  -cp "$jna" -include-runtime -d "$out/test.jar"
java -Djna.library.path="$target/debug" -cp "$out/test.jar:$jna" SangamBindingTestKt \
  "$target/debug/sangam-hub" "$root/core/tests/fixtures/forms/deep_listening.xlsx"
