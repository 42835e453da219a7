#!/usr/bin/env bash
# Static files: lath's `files` example against nginx (Debian's, sendfile on,
# one worker process) serving the same directory, in one interleaved run.
#
#   bash benches/files.sh                   # 5 rounds of 5 s per mode
#   ROUNDS=3 SECONDS_PER_RUN=5 bash benches/files.sh
#
# Each server is pinned to core 0 and wrk to core 1. Reported, as medians:
#   - a 4 KiB file, keep-alive: requests per server CPU-second;
#   - a 10 MiB file: MB per server CPU-second;
#   - the server's peak RSS while 64 curl clients download a 1 GiB file
#     (10 s each).
# lath runs on tokio (`--features tokio` makes it the default) on one
# worker, with the access log off. Each also runs with its cache of open
# files on: lath `--cache 1` (small files kept in memory for a second),
# nginx `open_file_cache` (descriptors and metadata, checked each second).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-16}
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light; }

cargo build --release --example files --features tokio

source benches/common.sh


ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/nginx"
head -c 4096 /dev/urandom > "$ROOT/4k.bin"
head -c $((10 << 20)) /dev/urandom > "$ROOT/10m.bin"
truncate -s 1G "$ROOT/1g.bin"

nginx_conf() { # port extra-directives
cat <<CONF
worker_processes 1;
daemon off;
master_process off;
error_log $WORK/nginx/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/octet-stream bin; }
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  $2
  server {
    listen 127.0.0.1:$1;
    root $ROOT;
  }
}
CONF
}
nginx_conf 18402 "" > "$WORK/nginx/nginx.conf"
nginx_conf 18404 "open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s;" > "$WORK/nginx/nginx-cache.conf"

declare -A CMD PORT
CMD[lath]="target/release/examples/files --quiet --workers 1 --root $ROOT --port 18401"
PORT[lath]=18401
CMD[nginx]="nginx -c $WORK/nginx/nginx.conf"
PORT[nginx]=18402
CMD[lath-cache]="target/release/examples/files --quiet --workers 1 --cache 1 --root $ROOT --port 18403"
PORT[lath-cache]=18403
CMD[nginx-cache]="nginx -c $WORK/nginx/nginx-cache.conf"
PORT[nginx-cache]=18404
NAMES=(lath nginx lath-cache nginx-cache)

start() { # name -> pid
  start_pinned "${CMD[$1]}" "http://127.0.0.1:${PORT[$1]}/4k.bin"
}


run_wrk() { # name pid file -> "requests_per_cpu_s mb_per_cpu_s"
  local before after out requests bytes
  before=$(cpu_ticks "$2")
  out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:${PORT[$1]}/$3")
  after=$(cpu_ticks "$2")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  # "N requests in 5.00s, 1.23GB read" (wrk's units are powers of 1024)
  bytes=$(echo "$out" | awk '/requests in/ {v = $5;
    m = (v ~ /GB/) ? 2^30 : (v ~ /MB/) ? 2^20 : (v ~ /KB/) ? 2^10 : 1; sub(/[KMG]?B$/, "", v); print v * m}')
  echo "$out" | grep -E "Non-2xx|Socket errors" >&2 || true
  awk -v r="$requests" -v b="$bytes" -v c="$((after - before))" -v t="$TICKS" \
    'BEGIN { s = c / t; printf "%.0f %.1f\n", (s > 0 ? r / s : 0), (s > 0 ? b / 1e6 / s : 0) }'
}


for name in "${NAMES[@]}"; do : > "$WORK/$name.small"; : > "$WORK/$name.large"; done
for round in $(seq "$ROUNDS"); do
  for name in "${NAMES[@]}"; do
    pid=$(start "$name")
    run_wrk "$name" "$pid" 4k.bin >> "$WORK/$name.small"
    run_wrk "$name" "$pid" 10m.bin >> "$WORK/$name.large"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

peak_rss() { # name -> KiB: the server's peak RSS while 64 clients download 1 GiB
  local pid; pid=$(start "$1")
  local base; base=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  for _ in $(seq 64); do
    taskset -c 1 curl -s -o /dev/null --max-time 10 "http://127.0.0.1:${PORT[$1]}/1g.bin" &
  done
  local peak=$base
  for _ in $(seq 100); do
    local now; now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.1
  done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$base $peak"
}
read -r lath_base lath_peak < <(peak_rss lath)
read -r nginx_base nginx_peak < <(peak_rss nginx)

col() { cut -d' ' -f"$2" "$WORK/$1" | median; }
echo
echo "lath (files example, tokio, 1 worker) vs nginx $(nginx -v 2>&1 | cut -d/ -f2) (sendfile on, 1 worker), $ROUNDS rounds of ${SECONDS_PER_RUN}s, $CONNECTIONS connections, medians"
printf "%-36s %12s %12s %10s\n" "" lath nginx "lath/nginx"
ratio() { awk -v l="$1" -v n="$2" 'BEGIN { printf "%12.0f %12.0f %9.2fx", l, n, l / n }'; }
printf "%-36s %s\n" "4 KiB file, requests/CPU-s" "$(ratio "$(col lath.small 1)" "$(col nginx.small 1)")"
printf "%-36s %s\n" "10 MiB file, MB/CPU-s" "$(ratio "$(col lath.large 2)" "$(col nginx.large 2)")"
printf "%-36s %12s %12s\n" "RSS KiB idle / peak, 64 x 1 GiB" "$lath_base/$lath_peak" "$nginx_base/$nginx_peak"
echo
echo "with their caches of open files (lath --cache 1, nginx open_file_cache)"
printf "%-36s %12s %12s %10s\n" "" lath nginx "lath/nginx"
printf "%-36s %s\n" "4 KiB file, requests/CPU-s" "$(ratio "$(col lath-cache.small 1)" "$(col nginx-cache.small 1)")"
printf "%-36s %s\n" "10 MiB file, MB/CPU-s" "$(ratio "$(col lath-cache.large 2)" "$(col nginx-cache.large 2)")"
