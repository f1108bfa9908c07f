#!/usr/bin/env bash
# IPIP end to end in a virtual machine: this host's kernel may have no ipip, so a Debian cloud kernel is booted
# under qemu (TCG) with an initramfs holding the release tabbyd and tabbyctl, and Tests/vm/ipip.sh runs inside it.
# Installs qemu-system-x86, busybox-static and cpio with apt when missing (root); skips with a message only when
# they cannot be had. The last line is the summary: "ipip-vm: N passed, M failed" (or "ipip-vm: skipped: ...").
#
# usage: Tests/vm/run.sh        environment: VM_CACHE (default .build-vm), VM_TIMEOUT seconds (default 600)
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"
SWIFT="${SWIFT:-swift}"
CACHE="${VM_CACHE:-.build-vm}"
TIMEOUT="${VM_TIMEOUT:-600}"
LOG="$CACHE/ipip-vm.log"

skip() { echo "ipip-vm: skipped: $*"; exit 0; }
fail() { echo "ipip-vm: 0 passed, 1 failed ($*)"; exit 1; }
now() { date +%s; }
started="$(now)"
step() { echo "ipip-vm: $* ($(($(now) - started)) s)"; }

# Host tools: qemu, a busybox for the guest, cpio to pack it; ip, nft, curl, bash, dash come with `make deps`.
mkdir -p "$CACHE"
missing=""
command -v qemu-system-x86_64 >/dev/null || missing+=" qemu-system-x86"
command -v busybox >/dev/null || missing+=" busybox-static"
command -v cpio >/dev/null || missing+=" cpio"
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || skip "needs$missing, and only root can install them (apt-get install$missing)"
    command -v apt-get >/dev/null || skip "needs$missing, and there is no apt-get to install them"
    echo "ipip-vm: installing$missing"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } \
        >"$CACHE/apt.log" 2>&1 || skip "apt-get could not install$missing (see $CACHE/apt.log)"
fi
for tool in ip nft curl bash dash ldd dpkg-deb apt-get; do
    command -v "$tool" >/dev/null || skip "the host has no $tool to build the guest from"
done

step "building tabbyd and tabbyctl (release, --static-swift-stdlib, in $CACHE/swift)"
# A scratch path of its own: sharing .build with `swift build -c release` (make release, make bench) would
# recompile on every switch of --static-swift-stdlib.
swift_release() { "$SWIFT" build -c release --static-swift-stdlib --scratch-path "$CACHE/swift" "$@"; }
for product in tabbyd tabbyctl; do
    swift_release --product "$product" >"$CACHE/build.log" 2>&1 ||
        { tail -20 "$CACHE/build.log"; fail "swift build of $product failed"; }
done
BIN="$(swift_release --show-bin-path)"

step "fetching the kernel"
KERNEL="$(bash Tests/vm/kernel.sh "$CACHE")" || fail "cannot fetch the Debian cloud kernel"
step "building the initramfs with kernel $(cat "$KERNEL/release")"
bash Tests/vm/initramfs.sh "$CACHE/initramfs.cpio" "$KERNEL" "$BIN" || fail "cannot build the initramfs"

step "booting the VM (qemu, TCG, 2 CPUs; log: $LOG)"
# No network card (-nic none): nothing in the guest reaches the host's network. KVM is not used: the host's
# KVM may not run a stock kernel, and TCG is fast enough for this.
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -M q35 -smp 2 -m 1536 \
    -nographic -no-reboot -nic none -monitor none \
    -kernel "$KERNEL/vmlinuz" -initrd "$CACHE/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3 mitigations=off" </dev/null 2>&1 |
    tee "$LOG" |
    # SeaBIOS's escape codes share a line with the guest's first output; the summary is printed last, below.
    sed -u -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r$//' -e '/ipip-vm: [0-9]* passed/d' -e '/^$/d'
status="${PIPESTATUS[0]}"
[ "$status" = 124 ] && echo "ipip-vm: the VM did not finish within $TIMEOUT s"

summary="$(grep -ao 'ipip-vm: [0-9]* passed, [0-9]* failed' "$LOG" | tail -1)"
[ -n "$summary" ] || fail "the VM printed no summary (qemu exit status $status; log: $LOG)"
step "done"
echo "$summary"
case "$summary" in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
