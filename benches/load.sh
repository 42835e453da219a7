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
# the same machine in the same run.
#
# Each server is pinned to core 0 and wrk to core 1; lath runs on one
# thread (`--workers 1`; ASYNC_STD_THREAD_COUNT=1 for builds from before
# workers), hyper on a current-thread runtime. The
# servers run alternately (A B A B ...). With 2 cores wrk saturates its own
# core in keep-alive mode, so besides requests/s the script reports requests
# per server CPU-second (utime+stime from /proc/PID/stat during the run).
# Last, it holds 5 000 idle keep-alive connections to each server and
# reports the server's RSS per connection.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-64}
IDLE=${IDLE:-5000}
LATH_PORT=18181
HYPER_PORT=18182
NAMES=(lath hyper)
declare -A BIN PORT
PORT[lath]=$LATH_PORT
PORT[hyper]=$HYPER_PORT
next_port=18183
for other in ${OTHERS:-}; do
  name=${other%%=*}
  BIN[$name]=${other#*=}
  PORT[$name]=$next_port
  next_port=$((next_port + 1))
  NAMES+=("$name")
done

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v taskset >/dev/null || { apt-get update -qq && apt-get install -y -qq util-linux; }

cargo build --release --example demo
(cd benches/peers/hyper-hello && cargo build --release)
LATH_BIN=target/release/examples/demo
HYPER_BIN=benches/peers/hyper-hello/target/release/hyper-hello

ulimit -n 65536 2>/dev/null || true
TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

cat > "$WORK/pipeline.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/hello") end
  req = table.concat(r)
end
request = function() return req end
LUA

port_of() { echo "${PORT[$1]}"; }

start() { # name -> pid on stdout
  case $1 in
    lath) ASYNC_STD_THREAD_COUNT=1 taskset -c 0 "$LATH_BIN" --quiet --workers 1 --port $LATH_PORT >/dev/null 2>&1 & ;;
    hyper) PORT=$HYPER_PORT taskset -c 0 "$HYPER_BIN" >/dev/null 2>&1 & ;;
    *) ASYNC_STD_THREAD_COUNT=1 taskset -c 0 "${BIN[$1]}" --quiet --workers 1 --port "${PORT[$1]}" >/dev/null 2>&1 & ;;
  esac
  local pid=$!
  PIDS+=("$pid")
  local port; port=$(port_of "$1")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null && break; sleep 0.1; done
  echo "$pid"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_wrk() { # name pid mode -> "rps cpu_s"
  local port; port=$(port_of "$1")
  local script=(); [ "$3" = pipelined ] && script=(-s "$WORK/pipeline.lua")
  local before; before=$(cpu_ticks "$2")
  local out; out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "${script[@]}" "http://127.0.0.1:$port/hello")
  local after; after=$(cpu_ticks "$2")
  local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
  [ -z "$errors" ] || echo "warning: $1 $3: $errors" >&2
  awk -v r="$requests" -v s="$SECONDS_PER_RUN" -v c="$((after - before))" -v t="$TICKS" \
    'BEGIN { printf "%.0f %.2f %.0f\n", r / s, c / t, (c > 0 ? r / (c / t) : 0) }'
}

median() { sort -n | awk '{a[NR] = $1} END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

for mode in keepalive pipelined; do
  for name in "${NAMES[@]}"; do : > "$WORK/$name.$mode"; done
  for round in $(seq "$ROUNDS"); do
    for name in "${NAMES[@]}"; do
      pid=$(start $name)
      run_wrk $name "$pid" $mode >> "$WORK/$name.$mode"
      kill "$pid"; wait "$pid" 2>/dev/null || true
    done
  done
done

idle_rss() { # name -> KiB per idle connection
  local pid; pid=$(start "$1")
  local port; port=$(port_of "$1")
  python3 - "$port" "$pid" "$IDLE" <<'PY'
import socket, sys, time
port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def hello(s):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
    got = b""
    while not got.endswith(b"Hello, World!"):
        got += s.recv(4096)
warm = socket.create_connection(("127.0.0.1", port)); hello(warm)
time.sleep(0.2)
before = rss()
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port)); hello(s); conns.append(s)
time.sleep(0.5)
after = rss()
print(f"{(after - before) / n:.2f}")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

LATH_IDLE=$(idle_rss lath)
HYPER_IDLE=$(idle_rss hyper)
declare -A IDLE_OF
for name in "${NAMES[@]:2}"; do IDLE_OF[$name]=$(idle_rss "$name"); done

report() { # mode column
  local l h; l=$(cut -d' ' -f"$2" "$WORK/lath.$1" | median); h=$(cut -d' ' -f"$2" "$WORK/hyper.$1" | median)
  awk -v l="$l" -v h="$h" 'BEGIN { printf "%12.0f %12.0f %8.2fx", l, h, l / h }'
}

echo
echo "lath (demo --quiet, 1 thread) vs hyper (current-thread), $ROUNDS rounds of ${SECONDS_PER_RUN}s, $CONNECTIONS connections, medians"
printf "%-34s %12s %12s %9s\n" "" lath hyper "lath/hyper"
printf "%-34s %s\n" "keep-alive requests/s" "$(report keepalive 1)"
printf "%-34s %s\n" "keep-alive requests/CPU-s" "$(report keepalive 3)"
printf "%-34s %s\n" "pipelined x16 requests/s" "$(report pipelined 1)"
printf "%-34s %s\n" "pipelined x16 requests/CPU-s" "$(report pipelined 3)"
printf "%-34s %12s %12s %8.2fx\n" "KiB RSS per idle connection ($IDLE)" "$LATH_IDLE" "$HYPER_IDLE" "$(awk -v l="$LATH_IDLE" -v h="$HYPER_IDLE" 'BEGIN { print l / h }')"

if [ "${#NAMES[@]}" -gt 2 ]; then
  other_report() { # name mode column
    local l o h
    l=$(cut -d' ' -f"$3" "$WORK/lath.$2" | median)
    o=$(cut -d' ' -f"$3" "$WORK/$1.$2" | median)
    h=$(cut -d' ' -f"$3" "$WORK/hyper.$2" | median)
    awk -v l="$l" -v o="$o" -v h="$h" 'BEGIN { printf "%12.0f %12.0f %9.2fx %9.2fx", l, o, o / l, o / h }'
  }
  for name in "${NAMES[@]:2}"; do
    echo
    echo "$name (${BIN[$name]}) in the same rounds"
    printf "%-34s %12s %12s %10s %10s\n" "" lath "$name" "$name/lath" "$name/hyper"
    printf "%-34s %s\n" "keep-alive requests/CPU-s" "$(other_report "$name" keepalive 3)"
    printf "%-34s %s\n" "pipelined x16 requests/CPU-s" "$(other_report "$name" pipelined 3)"
    printf "%-34s %12s %12s\n" "KiB RSS per idle connection ($IDLE)" "$LATH_IDLE" "${IDLE_OF[$name]}"
  done
fi
