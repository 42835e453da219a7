# Shared by the load scripts: start servers pinned to core 0, drive them
# with wrk pinned to core 1, measure requests per server CPU-second, and
# RSS per idle connection. Source it after setting:
#   CMD[name]   the command that starts server `name` on "$PORT"
#   PORT[name]  its port
# ROUNDS, SECONDS_PER_RUN, CONNECTIONS and IDLE may come from the
# environment; these are the defaults.
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-64}
IDLE=${IDLE:-5000}

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"


ulimit -n 65536 2>/dev/null || true

cat > "$WORK/pipeline.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/hello") end
  req = table.concat(r)
end
request = function() return req end
LUA

start() { # name -> pid on stdout
  PORT=${PORT[$1]} taskset -c 0 bash -c "exec ${CMD[$1]}" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:${PORT[$1]}/hello" >/dev/null && break; sleep 0.1; done
  echo "$pid"
}


run_wrk() { # name pid mode -> "rps cpu_s requests_per_cpu_s"
  local script=(); [ "$3" = pipelined ] && script=(-s "$WORK/pipeline.lua")
  local before; before=$(cpu_ticks "$2")
  local out; out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "${script[@]}" "http://127.0.0.1:${PORT[$1]}/hello")
  local after; after=$(cpu_ticks "$2")
  local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
  [ -z "$errors" ] || echo "warning: $1 $3: $errors" >&2
  awk -v r="$requests" -v s="$SECONDS_PER_RUN" -v c="$((after - before))" -v t="$TICKS" \
    'BEGIN { printf "%.0f %.2f %.0f\n", r / s, c / t, (c > 0 ? r / (c / t) : 0) }'
}


# Every name in the arguments, in turn, ROUNDS times per mode; results in
# "$WORK/<name>.<mode>", one line per round.
run_rounds() {
  local mode round name pid
  for mode in keepalive pipelined; do
    for name in "$@"; do : > "$WORK/$name.$mode"; done
    for round in $(seq "$ROUNDS"); do
      for name in "$@"; do
        pid=$(start "$name")
        run_wrk "$name" "$pid" $mode >> "$WORK/$name.$mode"
        kill "$pid"; wait "$pid" 2>/dev/null || true
      done
    done
  done
}

# The median of column $3 for name $1 in mode $2.
med() { cut -d' ' -f"$3" "$WORK/$1.$2" | median; }

idle_rss() { # name -> KiB per idle connection
  local pid; pid=$(start "$1")
  python3 - "${PORT[$1]}" "$pid" "$IDLE" <<'PY'
import socket, sys, time
port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def hello(s):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
    got = b""
    while b"Hello, World!" not in got:
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
