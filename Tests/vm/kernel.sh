#!/usr/bin/env bash
# Fetches Debian's cloud kernel package with apt and extracts its kernel image and network modules into a cache
# directory; the host's own /boot and /lib/modules are never read or written. Prints the kernel directory, which
# holds `vmlinuz`, `release` (the kernel version) and `lib/modules/<version>/` with a modules.dep.
#
# usage: Tests/vm/kernel.sh CACHE_DIR      (e.g. .build-vm; a second run with the same package does nothing)
set -euo pipefail

cache="${1:?usage: kernel.sh CACHE_DIR}"
meta="linux-image-cloud-amd64"

# The metapackage depends on the current versioned package (linux-image-6.1.0-NN-cloud-amd64).
resolve() { apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
package="$(resolve)"
if [ -z "$package" ]; then
    # Without package lists (a fresh machine) the name cannot be resolved: a cached kernel will do, else update.
    cached="$(ls -d "$cache"/kernel/*/ready 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$cached" ]; then dirname "$cached"; exit 0; fi
    echo "kernel.sh: apt does not know $meta yet: apt-get update" >&2
    apt-get update -qq >&2
    package="$(resolve)"
fi
[ -n "$package" ] || { echo "kernel.sh: apt cannot resolve $meta to a kernel package" >&2; exit 1; }
release="${package#linux-image-}"
dir="$cache/kernel/$release"
if [ -f "$dir/ready" ]; then echo "$dir"; exit 0; fi

rm -rf "$dir"
mkdir -p "$dir/download"
# apt drops privileges to _apt for downloads; the cache may not be writable by it, and root is already the user.
(cd "$dir/download" && apt-get download -qq -o APT::Sandbox::User=root "$package" >&2)
deb="$(ls "$dir"/download/*.deb)"
modules="./lib/modules/$release"
# Only what the guest may load: networking, network drivers and the libraries and crypto they depend on.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" "./boot/vmlinuz-$release" \
    "$modules/kernel/net" "$modules/kernel/drivers/net" "$modules/kernel/lib" "$modules/kernel/crypto" \
    "$modules/modules.builtin" "$modules/modules.order"
mv "$dir/boot/vmlinuz-$release" "$dir/vmlinuz"
rmdir "$dir/boot"
rm -rf "$dir/download"
# The package leaves modules.dep to the installer's depmod; busybox's depmod writes one for the extracted tree.
busybox depmod -b "$dir" "$release"
echo "$release" > "$dir/release"
touch "$dir/ready"
echo "$dir"
