#!/bin/sh
# Builds tabby and tabby-ipam as `make install` does (release, --static-swift-stdlib, -no-pie, in .build-static) and
# cni-bench in release mode, and runs cni-bench against containernetworking-plugins' ptp + host-local (from
# REFERENCE_DIR, /usr/lib/cni by default; installed from Debian when missing). Needs root: it creates network
# namespaces tabby-cnibench-<pid>-* and a directory /var/tmp/tabby-cni-bench.*, and deletes them however it ends.
# Arguments are passed on (see bench/cni/main.swift): --count N, --parallel P, --version-runs V, --no-gate,
# --only tabby|ptp; run.sh's own --shared-stdlib measures the plain `swift build -c release` plugins instead
# (the Swift runtime and Foundation as shared libraries).
set -eu
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then echo "bench-cni: needs root (it creates network namespaces)" >&2; exit 1; fi
reference="${REFERENCE_DIR:-/usr/lib/cni}"
if [ ! -x "$reference/ptp" ] || [ ! -x "$reference/host-local" ]; then
    [ -n "${REFERENCE_DIR:-}" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq containernetworking-plugins >/dev/null; }
fi
only=""
previous=""
# The same flags as the Makefile's INSTALL_BUILD (static Swift runtime, not position-independent unless CNI_PIE).
plugin_build="--static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc ${CNI_PIE:--no-pie} --scratch-path .build-static"
for argument in "$@"; do
    shift
    [ "$previous" = "--only" ] && only="$argument"
    previous="$argument"
    if [ "$argument" = --shared-stdlib ]; then plugin_build=""
    else set -- "$@" "$argument"; fi
done
if [ "$only" != ptp ]; then
    # shellcheck disable=SC2086 # plugin_build is a list of flags
    swift build -c release $plugin_build --product tabby
    # shellcheck disable=SC2086
    swift build -c release $plugin_build --product tabby-ipam
fi
swift build -c release --product cni-bench
bin="$(swift build -c release --show-bin-path)"
# shellcheck disable=SC2086
plugins="$(swift build -c release $plugin_build --show-bin-path)"
work="$(mktemp -d /var/tmp/tabby-cni-bench.XXXXXX)"
"$bin/cni-bench" --tabby-dir "$plugins" --reference-dir "$reference" --work "$work" "$@" &
pid=$!
# A background job ignores SIGINT in a non-interactive shell: forward the interrupt as SIGTERM.
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
# After an interrupt, wait once more for the benchmark itself to end.
kill -0 "$pid" 2>/dev/null && { wait "$pid" || status=$?; }
# cni-bench deletes its namespaces itself; these are what a signal left. Container namespaces first, then the node.
for ns in $(ip netns list | awk '{print $1}' | grep "^tabby-cnibench-$pid-" | grep -v -- "-node$" || true); do
    ip netns delete "$ns"
done
ip netns delete "tabby-cnibench-$pid-node" 2>/dev/null || true
rm -rf "$work"
exit "$status"
