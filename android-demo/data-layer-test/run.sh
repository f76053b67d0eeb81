#!/usr/bin/env bash
# Compiles the Android app's data layer (app/src/main/java/org/sangam/demo/data, pure Kotlin)
# with kotlinc against the generated bindings, then runs DataLayerSmoke.kt on the JVM against
# the built library and a real sangam-hub. Needs what android-demo/kotlin-tests/run.sh needs
# (kotlinc, JNA); kotlinx-coroutines comes with the kotlinc distribution.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# Cargo's target directory (CARGO_TARGET_DIR, else target/), where gen-bindings.sh builds.
target="${CARGO_TARGET_DIR:-target}"; [[ "$target" = /* ]] || target="$root/$target"
[ -f build/bindings/kotlin/org/sangam/sangam.kt ] || bash scripts/gen-bindings.sh debug
[ -x "$target/debug/sangam-hub" ] || cargo build -p sangam-hub
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
[ -f "$jna" ] || { echo "JNA not found at $jna (install libjna-java)"; exit 1; }
kotlinc="${KOTLINC:-$(command -v kotlinc || echo "$(npm root -g 2>/dev/null)/kotlin-compiler/bin/kotlinc")}"
[ -x "$kotlinc" ] || { echo "kotlinc not found (npm install -g kotlin-compiler)"; exit 1; }
coroutines="${COROUTINES_JAR:-$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlinx-coroutines-core-jvm.jar}"
[ -f "$coroutines" ] || { echo "kotlinx-coroutines-core-jvm.jar not found next to kotlinc (set COROUTINES_JAR)"; exit 1; }
out="build/android-data-layer"
mkdir -p "$out"
# The bindings jar is rebuilt only when the generated bindings change (compiling them is slow).
sum="$(sha256sum build/bindings/kotlin/org/sangam/sangam.kt | cut -c1-16)"
if [ ! -f "$out/bindings-$sum.jar" ]; then
  rm -f "$out"/bindings-*.jar
  "$kotlinc" -nowarn build/bindings/kotlin/org/sangam/sangam.kt -cp "$jna" -d "$out/bindings-$sum.jar"
fi
cp="$out/bindings-$sum.jar:$jna:$coroutines"
"$kotlinc" -nowarn android-demo/app/src/main/java/org/sangam/demo/data/*.kt \
  android-demo/data-layer-test/DataLayerSmoke.kt -cp "$cp" -d "$out/smoke.jar"
kotlin_stdlib="$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlin-stdlib.jar"
java -Djna.library.path="$target/debug" -cp "$out/smoke.jar:$cp:$kotlin_stdlib" DataLayerSmokeKt \
  "$target/debug/sangam-hub" "$root/core/tests/fixtures/forms/deep_listening.xlsx"
