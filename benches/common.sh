# What every load script shares, sourced first: wrk and taskset present,
# a scratch directory removed on exit with every server still running,
# CPU ticks of a process, and a median.
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v taskset >/dev/null || { apt-get update -qq && apt-get install -y -qq util-linux; }

TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# utime + stime of process $1, in ticks of $TICKS a second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The median of the numbers on standard input, one a line.
median() { sort -n | awk '{a[NR] = $1} END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# Starts command $1 pinned to core 0 and waits until $2 answers (curl,
# with any further arguments); prints the server's pid.
start_pinned() {
  local cmd=$1 url=$2
  shift 2
  taskset -c 0 bash -c "exec $cmd" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf "$@" -o /dev/null "$url" && break; sleep 0.1; done
  echo "$pid"
}

# Requests per CPU-second: $1 requests in $2 ticks.
per_cpu_second() { awk -v r="$1" -v c="$2" -v t="$TICKS" 'BEGIN { printf "%.0f\n", r / (c / t) }'; }

# Runs wrk pinned to core 1 with the arguments after $1, the server's
# pid; prints requests per server CPU-second, and any errors to stderr.
wrk_per_cpu_second() {
  local pid=$1 before after out
  shift
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk "$@")
  after=$(cpu_ticks "$pid")
  echo "$out" | grep -E "Non-2xx|Socket errors" >&2 || true
  per_cpu_second "$(echo "$out" | awk '/requests in/ {print $1}')" "$((after - before))"
}

# Builds `hello` (with tokio) and the hyper peer, both release.
build_hello_and_hyper() {
  cargo build --release --example hello --features tokio
  (cd benches/peers/hyper-hello && cargo build --release)
}

# A self-signed certificate for localhost: "$WORK/cert.pem", "$WORK/key.pem".
self_signed_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
}
