#!/bin/sh
# Builds netlink-bench in release mode and runs it. Needs root: it creates network namespaces
# tabby-bench-<pid>-*, and deletes them, also when interrupted.
# Arguments are passed on: --quick (fewer runs), --no-gate (do not wait for a quiet machine).
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product netlink-bench
bin="$(swift build -c release --show-bin-path)/netlink-bench"
"$bin" "$@" &
pid=$!
# A background job ignores SIGINT in a non-interactive shell: forward the interrupt as SIGTERM.
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
# After an interrupt, wait once more for the benchmark itself to end.
kill -0 "$pid" 2>/dev/null && { wait "$pid" || status=$?; }
for ns in $(ip netns list | awk '{print $1}' | grep "^tabby-bench-$pid-" || true); do
    ip netns delete "$ns"
done
exit "$status"
