#!/usr/bin/env bash
# End-to-end load: lath's demo against a hyper peer built in the same run.
#
#   bash benches/load.sh            # 5 rounds of 5 s per mode (default)
#   ROUNDS=7 SECONDS_PER_RUN=10 bash benches/load.sh
#   OTHERS="base=/tmp/demo-before tokio=/tmp/demo-tokio" bash benches/load.sh
#
# OTHERS names more demo binaries (an earlier commit's build, a build on
# another runtime feature); each runs in the same interleaved rounds, so
# a change or a runtime is measured beside the current build and hyper on
# the same machine in the same run. `benches/runtimes.sh` compares the
# runtimes and peers on `hello`.
#
# Each server is pinned to core 0 and wrk to core 1; lath runs on one
# thread (`--workers 1`; ASYNC_STD_THREAD_COUNT=1 for builds from before
# workers), hyper on a current-thread runtime. The servers run alternately
# (A B A B ...). With 2 cores wrk saturates its own core in keep-alive
# mode, so besides requests/s the script reports requests per server
# CPU-second (utime+stime from /proc/PID/stat during the run). Last, it
# holds 5 000 idle keep-alive connections to each server and reports the
# server's RSS per connection.
set -euo pipefail
cd "$(dirname "$0")/.."


cargo build --release --example demo
(cd benches/peers/hyper-hello && cargo build --release)

declare -A CMD PORT BIN
lath_cmd() { echo "env ASYNC_STD_THREAD_COUNT=1 $1 --quiet --workers 1 --port \$PORT"; }
CMD[lath]=$(lath_cmd target/release/examples/demo); PORT[lath]=18181
CMD[hyper]=benches/peers/hyper-hello/target/release/hyper-hello; PORT[hyper]=18182
NAMES=(lath hyper)
next_port=18183
for other in ${OTHERS:-}; do
  name=${other%%=*}
  BIN[$name]=${other#*=}
  CMD[$name]=$(lath_cmd "${BIN[$name]}")
  PORT[$name]=$next_port
  next_port=$((next_port + 1))
  NAMES+=("$name")
done

source benches/lib.sh

run_rounds "${NAMES[@]}"
declare -A IDLE_OF
for name in "${NAMES[@]}"; do IDLE_OF[$name]=$(idle_rss "$name"); done

report() { # mode column
  awk -v l="$(med lath "$1" "$2")" -v h="$(med hyper "$1" "$2")" 'BEGIN { printf "%12.0f %12.0f %8.2fx", l, h, l / h }'
}

echo
echo "lath (demo --quiet, 1 thread) vs hyper (current-thread), $ROUNDS rounds of ${SECONDS_PER_RUN}s, $CONNECTIONS connections, medians"
printf "%-34s %12s %12s %9s\n" "" lath hyper "lath/hyper"
printf "%-34s %s\n" "keep-alive requests/s" "$(report keepalive 1)"
printf "%-34s %s\n" "keep-alive requests/CPU-s" "$(report keepalive 3)"
printf "%-34s %s\n" "pipelined x16 requests/s" "$(report pipelined 1)"
printf "%-34s %s\n" "pipelined x16 requests/CPU-s" "$(report pipelined 3)"
printf "%-34s %12s %12s %8.2fx\n" "KiB RSS per idle connection ($IDLE)" "${IDLE_OF[lath]}" "${IDLE_OF[hyper]}" \
  "$(awk -v l="${IDLE_OF[lath]}" -v h="${IDLE_OF[hyper]}" 'BEGIN { print l / h }')"

other_report() { # name mode column
  awk -v l="$(med lath "$2" "$3")" -v o="$(med "$1" "$2" "$3")" -v h="$(med hyper "$2" "$3")" \
    'BEGIN { printf "%12.0f %12.0f %9.2fx %9.2fx", l, o, o / l, o / h }'
}
for name in "${NAMES[@]:2}"; do
  echo
  echo "$name (${BIN[$name]}) in the same rounds"
  printf "%-34s %12s %12s %10s %10s\n" "" lath "$name" "$name/lath" "$name/hyper"
  printf "%-34s %s\n" "keep-alive requests/CPU-s" "$(other_report "$name" keepalive 3)"
  printf "%-34s %s\n" "pipelined x16 requests/CPU-s" "$(other_report "$name" pipelined 3)"
  printf "%-34s %12s %12s\n" "KiB RSS per idle connection ($IDLE)" "${IDLE_OF[lath]}" "${IDLE_OF[$name]}"
done
