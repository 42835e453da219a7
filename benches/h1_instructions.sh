#!/usr/bin/env bash
# Instructions per HTTP/1.1 request, counted by callgrind, for lath and
# hyper: the `hello` example (tokio, one worker) and
# `benches/peers/hyper-hello`, each answering `GET /hello` to a Python
# client on one connection:
#   - keep-alive: one request, then its answer, 1 600 then 9 600 times;
#   - pipelined: batches of 16, 100 then 600 batches;
#   - HTTPS: keep-alive over TLS (rustls with ring on both sides of the
#     comparison, the client Python's ssl), 1 000 then 5 000 requests.
# The difference of the two totals leaves out start-up and shutdown.
# Beside the instructions: the atomic read-modify-write instructions
# among them (`benches/locked_ops.py`), which cost far more than one
# instruction each.
#
#   bash benches/h1_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
source benches/common.sh
build_hello_and_hyper

self_signed_certificate

cat > "$WORK/client.py" <<'PY'
import socket, ssl, sys
port, rounds, depth, tls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "tls"
conn = socket.create_connection(("127.0.0.1", port))
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    conn = ctx.wrap_socket(conn, server_hostname="localhost")
request = b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
for _ in range(rounds):
    conn.sendall(request * depth)
    data = b""
    while data.count(b"Hello, World!") < depth:
        data += conn.recv(65536)
conn.close()
PY

# Instructions callgrind counted for server command $1 (with environment
# assignments $2) on port $3 while the client sends $4 rounds of $5
# requests, over TLS when $6 is `tls`; then the atomic ones among them.
count() {
  local cmd=$1 vars=$2 port=$3 rounds=$4 depth=$5 tls=$6
  local out="$WORK/callgrind.$RANDOM" scheme=http
  [ "$tls" = tls ] && scheme=https
  bash -c "exec env $vars valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=$out $cmd" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do curl -skf -o /dev/null "$scheme://127.0.0.1:$port/hello" && break; sleep 0.1; done
  python3 "$WORK/client.py" "$port" "$rounds" "$depth" "$tls"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(awk '/^(summary|totals):/ {print $2; exit}' "$out") $(python3 benches/locked_ops.py "$out")"
}

# Instructions and atomic instructions per request for server $1
# (command), $2 (environment), $3 (port) in mode $4: keep-alive,
# pipelined or https.
per_request() {
  local small large requests small_atomic large_atomic
  case $4 in
    keep-alive) small=$(count "$1" "$2" "$3" 1600 1 plain); large=$(count "$1" "$2" "$3" 9600 1 plain); requests=8000 ;;
    pipelined) small=$(count "$1" "$2" "$3" 100 16 plain); large=$(count "$1" "$2" "$3" 600 16 plain); requests=8000 ;;
    https) small=$(count "$1" "$2" "$3" 1000 1 tls); large=$(count "$1" "$2" "$3" 5000 1 tls); requests=4000 ;;
  esac
  read -r small small_atomic <<<"$small"
  read -r large large_atomic <<<"$large"
  awk -v i=$((large - small)) -v a=$((large_atomic - small_atomic)) -v n="$requests" \
    'BEGIN { printf "%d %.1f\n", i / n, a / n }'
}

echo
printf "%-12s %8s %8s %12s %14s %14s\n" mode lath hyper hyper/lath "lath atomics" "hyper atomics"
for mode in keep-alive pipelined https; do
  lath_cmd="target/release/examples/hello --workers 1 --runtime tokio --port 18761"
  hyper_vars="PORT=18762"
  if [ "$mode" = https ]; then
    lath_cmd="$lath_cmd --tls-cert $WORK/cert.pem --tls-key $WORK/key.pem"
    hyper_vars="$hyper_vars TLS_CERT=$WORK/cert.pem TLS_KEY=$WORK/key.pem"
  fi
  read -r lath lath_atomic <<<"$(per_request "$lath_cmd" "" 18761 "$mode")"
  read -r hyper hyper_atomic <<<"$(per_request benches/peers/hyper-hello/target/release/hyper-hello "$hyper_vars" 18762 "$mode")"
  awk -v m="$mode" -v l="$lath" -v h="$hyper" -v la="$lath_atomic" -v ha="$hyper_atomic" \
    'BEGIN { printf "%-12s %8d %8d %12.2f %14s %14s\n", m, l, h, h / l, la, ha }'
done
