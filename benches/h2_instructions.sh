#!/usr/bin/env bash
# Instructions per HTTP/2 request, counted by callgrind, for lath and
# hyper: the `hello` example (tokio, one worker) and
# `benches/peers/hyper-hello` with `H2C=1`, each under callgrind while
# `h2load -c 1 -m 32` sends 4 000, then 24 000, requests over cleartext
# HTTP/2 (prior knowledge); the difference of the two totals over 20 000
# requests leaves out start-up and shutdown.
#
#   bash benches/h2_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
command -v h2load >/dev/null || { apt-get update -qq && apt-get install -y -qq nghttp2-client; }
source benches/common.sh
build_hello_and_hyper

# Instructions callgrind counted for server $1 (a command, after
# environment assignments $4) on port $2 answering $3 requests.
count() {
  local cmd=$1 port=$2 requests=$3 vars=${4:-}
  local out="$WORK/callgrind.$RANDOM"
  bash -c "exec env $vars valgrind --tool=callgrind --callgrind-out-file=$out $cmd" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do curl -sf --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$port/hello" && break; sleep 0.1; done
  h2load -c 1 -m 32 -n "$requests" "http://127.0.0.1:$port/hello" | grep -E "^requests:" | grep -v " 0 failed, 0 errored" >&2 || true
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

per_request() {
  local small large
  small=$(count "$1" "$2" 4000 "${3:-}")
  large=$(count "$1" "$2" 24000 "${3:-}")
  echo $(( (large - small) / 20000 ))
}

lath=$(per_request "target/release/examples/hello --workers 1 --runtime tokio --port 18751" 18751)
hyper=$(per_request benches/peers/hyper-hello/target/release/hyper-hello 18752 "H2C=1 PORT=18752")
echo
echo "h2c, h2load -c 1 -m 32: instructions per request"
awk -v l="$lath" -v h="$hyper" 'BEGIN { printf "lath %7d\nhyper %6d\nhyper/lath %.2f\n", l, h, h / l }'
