#!/bin/sh
# Builds policy-dataplane-bench in release mode and runs it (as root: it creates tabby-bench-pol-* namespaces).
# Pass --quick for fewer repetitions.
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product policy-dataplane-bench
exec .build/release/policy-dataplane-bench "$@"
