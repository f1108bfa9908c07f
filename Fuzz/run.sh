#!/usr/bin/env bash
# Builds the fuzz targets (Fuzz/*/) with libFuzzer and AddressSanitizer in their own scratch path and runs each
# for FUZZ_SECONDS (default 60), one after the other. Prints one line per target with the executions run, and
# exits 1 when any target crashed (the input is kept under .build-fuzz/crashes/<target>/). See Docs/testing.md.
set -u
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-selector manifest config cni netlink nftables status}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
export TABBY_FUZZ=1
# Swift's own crash backtracer would race AddressSanitizer's report; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
build=("$SWIFT" build --scratch-path "$SCRATCH" -Xswiftc -sanitize=fuzzer,address)
mkdir -p "$SCRATCH"

started=$(date +%s)
for target in $TARGETS; do
    if ! "${build[@]}" --product "fuzz-$target" >"$SCRATCH/build-$target.log" 2>&1; then
        grep -E "error" "$SCRATCH/build-$target.log" | head -20
        echo "fuzz: building fuzz-$target failed (log: $SCRATCH/build-$target.log)"
        exit 1
    fi
done
bin=$("${build[@]}" --show-bin-path)
echo "fuzz: built ${TARGETS// /, } in $(($(date +%s) - started)) s; running each for $SECONDS_EACH s"

crashed=0
total=0
for target in $TARGETS; do
    corpus="$SCRATCH/corpus/$target"  # new inputs go here; the committed seeds are only read
    artifacts="$SCRATCH/crashes/$target"
    mkdir -p "$corpus" "$artifacts"
    options=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
    # Swift's runtime allocates metadata caches on first use and keeps them: LeakSanitizer would report those.
    options+=(-detect_leaks=0)
    [ -f "Fuzz/dict/$target.dict" ] && options+=(-dict="Fuzz/dict/$target.dict")
    log="$SCRATCH/fuzz-$target.log"
    "$bin/fuzz-$target" "${options[@]}" "$corpus" "Fuzz/corpus/$target" >"$log" 2>&1
    status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    total=$((total + ${executions:-0}))
    if [ $status -eq 0 ]; then
        echo "fuzz-$target: ${executions:-?} executions, ${coverage:-cov: ?}, no crash"
    else
        crashed=$((crashed + 1))
        grep -E "ERROR|Fatal error|fatal error|SUMMARY|Test unit written" "$log" | head -10
        echo "fuzz-$target: CRASHED after ${executions:-?} executions (exit $status; log: $log)"
    fi
done
count=$(echo $TARGETS | wc -w)
echo "fuzz: $count targets, $total executions, $crashed crashed"
[ $crashed -eq 0 ]
