#!/usr/bin/env bash
# What `rate_limit` costs: the `hello` example behind a trusted proxy
# (`--behind-proxy`) with and without `--rate-limit`, in one interleaved
# run, under wrk sending each request
# with one of 10 000 client addresses in `X-Forwarded-For` (a trusted
# proxy on 127.0.0.1), so the layer keeps 10 000 clients.
#
#   bash benches/rate_limit.sh            # 5 rounds of 5 s
#   ROUNDS=3 bash benches/rate_limit.sh
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

declare -A CMD
CMD[plain]="target/release/examples/hello --workers 1 --port 18701 --behind-proxy"
CMD[limited]="target/release/examples/hello --workers 1 --port 18702 --rate-limit"
declare -A PORT=([plain]=18701 [limited]=18702)

for name in plain limited; do : > "$WORK/$name"; done
for round in $(seq "$ROUNDS"); do
  for name in plain limited; do
    taskset -c 0 bash -c "exec ${CMD[$name]}" >/dev/null 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:${PORT[$name]}/" && break; sleep 0.1; done
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$WORK/clients.lua" "http://127.0.0.1:${PORT[$name]}/")
    after=$(cpu_ticks "$pid")
    echo "$out" | grep -E "Non-2xx|Socket errors" >&2 || true
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    awk -v r="$requests" -v c="$((after - before))" -v t="$TICKS" 'BEGIN { printf "%.0f\n", r / (c / t) }' >> "$WORK/$name"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

plain=$(median < "$WORK/plain")
limited=$(median < "$WORK/limited")
echo
echo "hello with and without rate_limit (10 000 clients), $ROUNDS rounds of ${SECONDS_PER_RUN}s, medians"
awk -v p="$plain" -v l="$limited" 'BEGIN {
  printf "%-28s %10.0f\n%-28s %10.0f\n%-28s %9.1f%%\n", "plain requests/CPU-s", p, "rate_limit requests/CPU-s", l, "cost", (1 - l / p) * 100 }'
