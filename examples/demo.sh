#!/usr/bin/env bash
# Shows what Tabby can do so far, on a throw-away copy of the example datastore.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build --show-bin-path)"
"$bin/tabbyctl" --help
