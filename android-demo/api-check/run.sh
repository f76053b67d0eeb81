#!/usr/bin/env bash
# Links the Android app's manifest and resources with Debian's aapt2 against the real Android
# API 23 jar (an unknown attribute or a broken resource reference is an error), then compiles
# the app's platform-free data layer and its platform code that needs only the
# Android SDK (app/src/main/java/org/sangam/demo/{data,platform}: the Keystore-wrapped store
# key and token) with kotlinc against the real Android API 23 jar, with no JDK on the class
# path: a call the phone's Android does not have is a compile error here.
#
# The jar comes from Debian's libandroid-23-java (sid), fetched once with `apt-get download`
# through a private sources list and cached in build/android-sdk/. Compose, AndroidX and
# WorkManager code (ui/, sync/, the activity) cannot be compiled here: those libraries are not
# obtainable on this machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sdk="$root/build/android-sdk"
jar="$sdk/android-23.jar"
if [ ! -f "$jar" ]; then
  apt_dir="$sdk/apt"
  mkdir -p "$apt_dir/etc" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  cat > "$apt_dir/etc/sid.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  touch "$apt_dir/status"
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/etc" -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::State::Status=$apt_dir/status" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$sdk" && apt-get "${apt_opts[@]}" download -qq libandroid-23-java)
  dpkg-deb -x "$sdk"/libandroid-23-java_*.deb "$sdk/x"
  cp "$sdk/x/usr/lib/android-sdk/platforms/android-23/android.jar" "$jar"
  rm -rf "$sdk/x" "$apt_dir" "$sdk"/libandroid-23-java_*.deb
fi
[ -f build/bindings/kotlin/org/sangam/sangam.kt ] || bash scripts/gen-bindings.sh debug
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
kotlinc="${KOTLINC:-$(command -v kotlinc || echo "$(npm root -g 2>/dev/null)/kotlin-compiler/bin/kotlinc")}"
coroutines="${COROUTINES_JAR:-$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlinx-coroutines-core-jvm.jar}"
out="build/android-api-check"
mkdir -p "$out"
sum="$(sha256sum build/bindings/kotlin/org/sangam/sangam.kt | cut -c1-16)"
bindings="build/android-data-layer/bindings-$sum.jar"
if [ ! -f "$bindings" ]; then
  mkdir -p build/android-data-layer
  "$kotlinc" -nowarn build/bindings/kotlin/org/sangam/sangam.kt -cp "$jna" -d "$bindings"
fi
main=android-demo/app/src/main
command -v aapt2 >/dev/null || { echo "aapt2 not found (apt-get install aapt)"; exit 1; }
# The build system would put the package name in from the module's namespace.
sed 's|<manifest xmlns:android="http://schemas.android.com/apk/res/android">|<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.sangam.demo">|' \
  "$main/AndroidManifest.xml" > "$out/AndroidManifest.xml"
grep -q 'package="org.sangam.demo"' "$out/AndroidManifest.xml" || { echo "the manifest's opening tag changed; update $0"; exit 1; }
rm -f "$out/resources.zip"
aapt2 compile --dir "$main/res" -o "$out/resources.zip"
# (aapt2 notes that the platform jar's resource table is compressed; that is not a problem.)
aapt2 link -o "$out/resources.apk" -I "$jar" --manifest "$out/AndroidManifest.xml" "$out/resources.zip" 2> >(grep -v "is compressed" >&2)
echo "android API 23: manifest and resources linked"
app=$main/java/org/sangam/demo
"$kotlinc" -no-jdk -cp "$jar:$bindings:$jna:$coroutines" "$app"/data/*.kt "$app"/platform/*.kt -d "$out/app-api23.jar"
echo "android API 23: $(ls "$app"/data/*.kt "$app"/platform/*.kt | wc -l) files compiled against android.jar"
