#!/usr/bin/env bash
# Builds the guest's initramfs (cpio newc, uncompressed: the kernel unpacks it faster under TCG than it would
# decompress it): busybox applets, dash as /bin/sh, bash (for Tests/e2e/lib.sh), the host's own ip, nft, curl and
# date with the libraries ldd lists and the ELF interpreter, tabbyd and tabbyctl, the kernel modules the scenario
# loads (with their dependencies), Tests/vm/init as /init and the scenario under /tabby.
#
# usage: Tests/vm/initramfs.sh OUTPUT.cpio KERNEL_DIR BIN_DIR
#   KERNEL_DIR as printed by kernel.sh; BIN_DIR holds tabbyd and tabbyctl (release, --static-swift-stdlib).
set -euo pipefail

out="${1:?usage: initramfs.sh OUTPUT.cpio KERNEL_DIR BIN_DIR}"
kernel="${2:?KERNEL_DIR}"
bin="${3:?BIN_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
release="$(cat "$kernel/release")"
# Modules the guest loads up front; ipip is the point of it all, the rest builds the topology and counts packets.
modules="ipip veth bridge nf_tables nft_ct nft_nat nft_masq nft_chain_nat nft_reject_inet nft_log nft_limit"

root="$out.root"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,dev,proc,sys,run,tmp,var,tabby}
ln -s ../run "$root/var/run"

# copy_with_libraries FILE DESTINATION: the file and every library ldd lists, at the same paths in the root.
copy_with_libraries() {
    local file="$1" destination="$2"
    cp -L "$file" "$root$destination"
    # ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the ELF interpreter; static
    # executables print "not a dynamic executable" (exit status 1), which leaves nothing to copy.
    local library
    for library in $(ldd "$file" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
        if [ ! -e "$root$library" ]; then
            mkdir -p "$root$(dirname "$library")"
            cp -L "$library" "$root$library"
        fi
    done
}

# The host's tools, found by name so that usrmerge or not does not matter.
tool() { command -v "$1" || { echo "initramfs.sh: $1 is not installed on the host" >&2; exit 1; }; }
copy_with_libraries "$(tool busybox)" /bin/busybox
copy_with_libraries "$(tool dash)" /bin/sh
copy_with_libraries "$(tool bash)" /bin/bash
copy_with_libraries "$(tool ip)" /usr/sbin/ip
copy_with_libraries "$(tool nft)" /usr/sbin/nft
copy_with_libraries "$(tool curl)" /usr/bin/curl
# lib.sh's `eventually` needs `date +%s%N`, which busybox's date does not print.
copy_with_libraries "$(tool date)" /usr/bin/date
for program in tabbyd tabbyctl; do
    copy_with_libraries "$bin/$program" "/usr/bin/$program"
    # The symbol tables are a quarter of each binary and nothing in the guest reads them.
    if command -v strip >/dev/null; then strip "$root/usr/bin/$program"; fi
done

# Every busybox applet that is not shadowed by a real program above, as a link in /bin.
for applet in $("$root/bin/busybox" --list); do
    case "$applet" in sh | bash | ip | nft | curl | date | busybox) continue ;; esac
    ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/modprobe"

# nft resolves protocol and service names through these.
cp /etc/protocols /etc/services "$root/etc/"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# The module closure: each module and what modules.dep says it needs, plus the index files.
mod_root="$kernel/lib/modules/$release"
mkdir -p "$root/lib/modules/$release"
cp "$mod_root"/modules.* "$root/lib/modules/$release/"
for module in $modules; do
    line="$(grep -E "(^|/)$module\.ko:" "$mod_root/modules.dep")" || {
        echo "initramfs.sh: module $module is not in $mod_root/modules.dep" >&2
        exit 1
    }
    for path in $(echo "$line" | tr -d ':'); do
        mkdir -p "$root/lib/modules/$release/$(dirname "$path")"
        cp "$mod_root/$path" "$root/lib/modules/$release/$path"
    done
done
echo "$modules" > "$root/tabby/modules"

# The kernel opens /dev/console for init before /init can mount devtmpfs.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

install -m 755 "$here/init" "$root/init"
install -m 755 "$here/ipip.sh" "$root/tabby/ipip.sh"
install -m 644 "$repo/Tests/e2e/lib.sh" "$root/tabby/lib.sh"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$root"
