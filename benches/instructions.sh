#!/usr/bin/env bash
# Instructions per request, counted by callgrind: steady where wall-clock
# runs on this machine differ by tens of percent. Each configuration of
# the `hello` example (tokio, one worker) runs under callgrind twice while
# a Python client sends 100, then 600, batches of 16 pipelined
# `GET /` on one connection, each request from one of 10 000 client
# addresses in `X-Forwarded-For`; the difference of the two totals over
# 8 000 requests leaves out start-up and shutdown.
#
#   bash benches/instructions.sh
#
# Configurations: plain, --metrics, --behind-proxy, --rate-limit.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
cargo build --release --example hello --features tokio
source benches/common.sh

cat > "$WORK/client.py" <<'PY'
import socket, sys
port, batches = int(sys.argv[1]), int(sys.argv[2])
conn = socket.create_connection(("127.0.0.1", port))
n = 0
for _ in range(batches):
    batch = b""
    for _ in range(16):
        ip = "10.%d.%d.1" % ((n % 10000) // 256, n % 256)
        batch += b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: " + ip.encode() + b"\r\n\r\n"
        n += 1
    conn.sendall(batch)
    seen = 0
    data = b""
    while seen < 16:
        data += conn.recv(65536)
        seen = data.count(b"Hello, World!")
conn.close()
PY

# Instructions callgrind counted for hello with flags $2.. serving $1 batches.
count() {
  local batches=$1; shift
  local out="$WORK/callgrind.$RANDOM"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    target/release/examples/hello --workers 1 --port 18711 "$@" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do curl -sf -o /dev/null http://127.0.0.1:18711/ && break; sleep 0.1; done
  python3 "$WORK/client.py" 18711 "$batches"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

per_request() {
  local small large
  small=$(count 100 "$@")
  large=$(count 600 "$@")
  echo $(( (large - small) / 8000 ))
}

plain=$(per_request)
metrics=$(per_request --metrics)
proxy=$(per_request --behind-proxy)
limited=$(per_request --rate-limit)
echo
echo "hello, tokio, pipelined x16: instructions per request"
awk -v p="$plain" -v m="$metrics" -v x="$proxy" -v l="$limited" 'BEGIN {
  printf "%-30s %7d\n%-30s %7d  (%+.1f%%)\n", "plain", p, "--metrics", m, (m / p - 1) * 100
  printf "%-30s %7d\n%-30s %7d  (%+.1f%%)\n", "--behind-proxy", x, "--rate-limit (10 000 clients)", l, (l / x - 1) * 100 }'
