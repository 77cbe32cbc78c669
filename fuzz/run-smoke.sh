#!/usr/bin/env bash
# Short fuzz run of every target, starting from the smallest inputs of the
# saved corpus and the crash regressions (CI: `bash fuzz/run-smoke.sh 30`).
# Needs nightly and cargo-fuzz.
# New inputs go to a temporary directory: the saved corpus is left as it is.
# Exits non-zero as soon as a target crashes (the input is in fuzz/artifacts/).
set -euo pipefail

secs="${1:-30}"
cd "$(dirname "$0")"
targets=(parse_line parse_netlink decode_value sockaddr pipeline capture_events rules)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo +nightly fuzz build
# libFuzzer runs every starting input before its clock starts, and a
# pipeline input takes ~10 ms: start each target from its smallest $seeds
# saved inputs (tests/fuzz_corpus.rs replays all of them on every cargo test).
seeds="${SMOKE_SEEDS:-400}"
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "$work/seed-$t" "corpus/$t"
    # (awk reads all of ls's output: no SIGPIPE under pipefail)
    ls -Sr "corpus/$t" | awk -v n="$seeds" 'NR <= n' | while read -r f; do
        cp "corpus/$t/$f" "$work/seed-$t/"
    done
    dirs=("$work/$t" "$work/seed-$t")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    echo "== $t: ${secs}s"
    if ! cargo +nightly fuzz run "$t" "${dirs[@]}" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len=20000 -print_final_stats=1 \
        2>"$work/$t.log"; then
        tail -n 60 "$work/$t.log" >&2
        echo "fuzz target $t failed" >&2
        exit 1
    fi
    grep -E ' DONE |^Done' "$work/$t.log" | tail -n 2
done
echo "fuzz smoke: all targets ran ${secs}s without a crash"
