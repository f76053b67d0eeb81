#!/usr/bin/env bash
# Makes the Swift toolchain the iOS package's Linux tests run with (ios-demo/linux/run.sh):
# a Debian trixie chroot with Debian's swiftlang (Swift 6.0.3, XCTest, Foundation), at
# $SANGAM_SWIFT_ROOT (default /opt/sangam-swift). About a minute and 3 GB; done once.
set -euo pipefail
root="${SANGAM_SWIFT_ROOT:-/opt/sangam-swift}"
# Marked ready only once swift has run in it: an interrupted set-up is finished next time.
if [ -f "$root/.sangam-swift-ready" ]; then
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
[ -x "$root/usr/bin/apt-get" ] || debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Swift finds its runtime through /proc/self/exe, and package scripts want /proc and /dev.
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
trap 'umount "$root/proc" 2>/dev/null || true; umount "$root/dev" 2>/dev/null || true' EXIT
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null"
chroot "$root" swift --version
touch "$root/.sangam-swift-ready"
