#!/usr/bin/env bash
# HTTPS against hyper: the `hello` example (tokio, one worker, `--tls-cert`)
# and hyper 1.x with tokio-rustls and hyper-util's auto connection
# (`benches/peers/hyper-hello` with TLS_CERT and TLS_KEY), both rustls with
# ring on the same certificate, in one interleaved run:
#   - HTTPS HTTP/1.1 keep-alive with wrk (64 connections);
#   - HTTP/2 over TLS with `h2load -c 16 -m 32`.
# Requests per server CPU-second, server pinned to core 0, client to core 1.
#
#   bash benches/tls_h2.sh            # 5 rounds of 5 s
#   ROUNDS=3 bash benches/tls_h2.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
command -v h2load >/dev/null || { apt-get update -qq && apt-get install -y -qq nghttp2-client; }
source benches/common.sh
build_hello_and_hyper

self_signed_certificate

declare -A CMD PORT
CMD[lath]="target/release/examples/hello --workers 1 --runtime tokio --port 18721 --tls-cert $WORK/cert.pem --tls-key $WORK/key.pem"
CMD[hyper]="env PORT=18722 TLS_CERT=$WORK/cert.pem TLS_KEY=$WORK/key.pem benches/peers/hyper-hello/target/release/hyper-hello"
PORT=([lath]=18721 [hyper]=18722)

for name in lath hyper; do : > "$WORK/$name.https"; : > "$WORK/$name.h2"; done
for round in $(seq "$ROUNDS"); do
  for name in lath hyper; do
    pid=$(start_pinned "${CMD[$name]}" "https://127.0.0.1:${PORT[$name]}/hello" -k)
    PIDS+=("$pid")
    wrk_per_cpu_second "$pid" -t1 -c64 -d"${SECONDS_PER_RUN}s" "https://127.0.0.1:${PORT[$name]}/hello" \
      >> "$WORK/$name.https"

    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 h2load -c 16 -m 32 -D "$SECONDS_PER_RUN" "https://127.0.0.1:${PORT[$name]}/hello")
    after=$(cpu_ticks "$pid")
    echo "$out" | grep -E "requests:" | grep -v " 0 failed, 0 errored" >&2 || true
    per_cpu_second "$(echo "$out" | awk '/^requests:/ {print $8}')" "$((after - before))" >> "$WORK/$name.h2"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

echo
echo "$ROUNDS rounds of ${SECONDS_PER_RUN}s, requests per server CPU-second, medians"
for mode in https h2; do
  l=$(median < "$WORK/lath.$mode")
  h=$(median < "$WORK/hyper.$mode")
  awk -v m="$mode" -v l="$l" -v h="$h" 'BEGIN { printf "%-6s lath %9.0f  hyper %9.0f  lath/hyper %.2f\n", m, l, h, l / h }'
done
