#!/bin/sh
# Builds dataplane-bench in release mode and runs it. Needs root: it creates network namespaces
# tabby-bench-<pid>-dp*, and deletes them, also when interrupted.
# Arguments are passed on: --quick (fewer runs), --routes N (10,000 by default).
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product dataplane-bench
bin="$(swift build -c release --show-bin-path)/dataplane-bench"
"$bin" "$@" &
pid=$!
# A background job ignores SIGINT in a non-interactive shell: forward the interrupt as SIGTERM.
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
kill -0 "$pid" 2>/dev/null && { wait "$pid" || status=$?; }
for ns in $(ip netns list | awk '{print $1}' | grep "^tabby-bench-$pid-dp" || true); do
    ip netns delete "$ns"
done
exit "$status"
