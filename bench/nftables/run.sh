#!/bin/sh
# Builds nftables-bench in release mode and runs it (as root: it creates tabby-bench-nft-* namespaces).
# Pass --quick for fewer repetitions.
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product nftables-bench
exec .build/release/nftables-bench "$@"
