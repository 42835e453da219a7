#!/usr/bin/env bash
# What edge protection costs, in one interleaved run of the `hello`
# example: `rate_limit` (behind a trusted proxy, `--behind-proxy` with and
# without `--rate-limit`) and the server's metrics (without and with
# `--metrics`). wrk sends each request with one of 10 000 client
# addresses in `X-Forwarded-For` (a trusted proxy on 127.0.0.1), so the
# rate limiter keeps 10 000 clients.
#
#   bash benches/edge.sh            # 5 rounds of 5 s
#   ROUNDS=3 bash benches/edge.sh
#
# Requests per server CPU-second, keep-alive, one worker on tokio, server
# pinned to core 0 and wrk to core 1.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-64}

cargo build --release --example hello --features tokio

source benches/common.sh


cat > "$WORK/clients.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local n = counter % 10000
  local ip = "10." .. math.floor(n / 256) .. "." .. (n % 256) .. ".1"
  return wrk.format("GET", "/", { ["X-Forwarded-For"] = ip })
end
LUA

NAMES="proxy limited plain metrics"
declare -A CMD
CMD[proxy]="target/release/examples/hello --workers 1 --port 18701 --behind-proxy"
CMD[limited]="target/release/examples/hello --workers 1 --port 18702 --rate-limit"
CMD[plain]="target/release/examples/hello --workers 1 --port 18703"
CMD[metrics]="target/release/examples/hello --workers 1 --port 18704 --metrics"
declare -A PORT=([proxy]=18701 [limited]=18702 [plain]=18703 [metrics]=18704)

for name in $NAMES; do : > "$WORK/$name"; done
for round in $(seq "$ROUNDS"); do
  for name in $NAMES; do
    pid=$(start_pinned "${CMD[$name]}" "http://127.0.0.1:${PORT[$name]}/")
    PIDS+=("$pid")
    wrk_per_cpu_second "$pid" -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$WORK/clients.lua" \
      "http://127.0.0.1:${PORT[$name]}/" >> "$WORK/$name"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

echo
echo "hello, $ROUNDS rounds of ${SECONDS_PER_RUN}s, requests per server CPU-second, medians"
cost() {
  local base with
  base=$(median < "$WORK/$1")
  with=$(median < "$WORK/$2")
  awk -v n="$3" -v b="$base" -v w="$with" 'BEGIN { printf "%-34s %10.0f -> %10.0f   cost %5.1f%%\n", n, b, w, (1 - w / b) * 100 }'
}
cost proxy limited "rate_limit (10 000 clients)"
cost plain metrics "metrics"
