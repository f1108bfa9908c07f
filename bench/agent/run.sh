#!/bin/sh
# Builds tabbyd and agent-bench in release mode and runs the benchmark. Needs root: it creates network
# namespaces tabby-bench-<pid>-* and a directory tabby-bench-<pid> in /dev/shm (or /tmp), runs tabbyd in
# them, and removes all of it at the end, also when interrupted.
# Arguments are passed on: --quick (fewer runs and writes), --runs N, --writes N, --scratch DIR,
# --stores file,etcd (default both; etcd members on loopback, stopped by PID), --etcd-data DIR.
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product tabbyd
swift build -c release --product agent-bench
bin="$(swift build -c release --show-bin-path)"
"$bin/agent-bench" --tabbyd "$bin/tabbyd" "$@" &
pid=$!
# A background job ignores SIGINT in a non-interactive shell: forward the interrupt as SIGTERM; the benchmark
# then stops its tabbyd, deletes its namespaces and directory, and exits.
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
kill -0 "$pid" 2>/dev/null && { wait "$pid" || status=$?; }
# Whatever is left if the benchmark itself was killed.
for ns in $(ip netns list | awk '{print $1}' | grep "^tabby-bench-$pid-" || true); do
    ip netns delete "$ns"
done
rm -rf "/dev/shm/tabby-bench-$pid" "/tmp/tabby-bench-$pid" "/tmp/tabby-bench-$pid-etcd"
exit "$status"
