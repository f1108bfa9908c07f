#!/usr/bin/env bash
# Applies the example manifests to a scratch datastore and shows what tabbyctl makes of them.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build --show-bin-path)"
store="$(mktemp -d /tmp/tabby-demo.XXXXXX)"
trap 'rm -rf "$store"' EXIT
export TABBY_DATASTORE="$store"
run() { echo "\$ tabbyctl $*"; "$bin/tabbyctl" "$@" || true; echo; }
run apply -f examples/manifests/
run get ippools -o wide
run get networkpolicy -A -o wide
run get gnp security.protect-system -o yaml
run selector match --selector "role == 'frontend' && !has(canary)" --labels role=frontend,zone=core
run selector match --selector "role == 'frontend' &&" --labels role=frontend
echo "The datastore directory:"
(cd "$store" && find . -name '*.yaml' -not -path './.tabby/*' | sort)
