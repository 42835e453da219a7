#!/usr/bin/env bash
# `hello` on each runtime against hyper (tokio current-thread) and
# may-minihttp, all built in this run and measured in the same interleaved
# rounds; then the fastest runtime with two workers against one.
#
#   bash benches/runtimes.sh            # 5 rounds of 5 s per mode
#   ROUNDS=7 SECONDS_PER_RUN=10 bash benches/runtimes.sh
#
# Every server is pinned to core 0 and runs one worker; wrk is pinned to
# core 1. Reported per server: keep-alive and 16-deep pipelined requests
# per server CPU-second as a ratio to hyper, and RSS per idle connection
# (5 000 held).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIMES=(async-std smol tokio)
BUILT=$(mktemp -d)

for runtime in "${RUNTIMES[@]}"; do
  cargo build --release --example hello --no-default-features --features "$runtime"
  cp target/release/examples/hello "$BUILT/hello-$runtime"
done
(cd benches/peers/hyper-hello && cargo build --release)
(cd benches/peers/may-minihttp && cargo build --release)

declare -A CMD PORT
port=18191
for runtime in "${RUNTIMES[@]}"; do
  CMD[$runtime]="$BUILT/hello-$runtime --workers 1 --port \$PORT"
  PORT[$runtime]=$port
  port=$((port + 1))
done
CMD[hyper]=benches/peers/hyper-hello/target/release/hyper-hello; PORT[hyper]=$port
CMD[may]=benches/peers/may-minihttp/target/release/may-minihttp-hello; PORT[may]=$((port + 1))
NAMES=("${RUNTIMES[@]}" hyper may)

source benches/lib.sh
trap 'cleanup; rm -rf "$BUILT"' EXIT

run_rounds "${NAMES[@]}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "hello, one worker, per server CPU-second as a ratio to hyper; $ROUNDS rounds of ${SECONDS_PER_RUN}s, $CONNECTIONS connections, medians"
printf "%-12s %14s %14s %14s\n" server keep-alive "pipelined x16" "KiB per idle"
for name in "${NAMES[@]}"; do
  printf "%-12s %14s %14s %14s\n" "$name" \
    "$(ratio "$(med "$name" keepalive 3)" "$(med hyper keepalive 3)")" \
    "$(ratio "$(med "$name" pipelined 3)" "$(med hyper pipelined 3)")" \
    "$(idle_rss "$name")"
done

# The fastest runtime (pipelined) on two workers against one.
fastest=$(for runtime in "${RUNTIMES[@]}"; do echo "$(med "$runtime" pipelined 3) $runtime"; done | sort -n | tail -1 | cut -d' ' -f2)
CMD[two]="$BUILT/hello-$fastest --workers 2 --port \$PORT"; PORT[two]=$((port + 2))
run_rounds "$fastest" two
echo
echo "$fastest with two workers against one, per server CPU-second"
printf "%-12s %14s %14s\n" "" keep-alive "pipelined x16"
printf "%-12s %14s %14s\n" "2 / 1" \
  "$(ratio "$(med two keepalive 3)" "$(med "$fastest" keepalive 3)")" \
  "$(ratio "$(med two pipelined 3)" "$(med "$fastest" pipelined 3)")"
