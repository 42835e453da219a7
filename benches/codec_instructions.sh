#!/usr/bin/env bash
# Instructions per iteration of each case of `benches/codec.rs`, counted
# by callgrind: the same functions criterion times, run 20 000 then 40 000
# times outside criterion; the difference of the two totals over 20 000
# leaves out start-up. Steadier than wall-clock time on a noisy machine.
#
#   bash benches/codec_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
bin=$(cargo bench --bench codec --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "codec" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Instructions callgrind counted for case $1 run $2 times.
count() {
  LATH_CODEC_COUNT="$1 $2" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" >/dev/null 2>&1
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

per_iteration() { echo $(( ($(count "$1" 40000) - $(count "$1" 20000)) / 20000 )); }

# One line of the table: case, httparse, lath, and lath / httparse.
row() { awk -v c="$1" -v b="$2" -v l="$3" 'BEGIN { printf "%-24s %9d %9d %7.2f\n", c, b, l, l / b }'; }

printf '%-24s %9s %9s %7s\n' case httparse lath ratio
for group in get_3_headers get_15_headers chunked_post_4_chunks pipelined_16_gets; do
  base=$(per_iteration "$group/httparse")
  lath=$(per_iteration "$group/lath")
  row "$group" "$base" "$lath"
done
base=$(per_iteration get_and_hello_response/httparse_parse_only)
lath=$(per_iteration get_and_hello_response/lath_parse_and_write)
row parse_and_write "$base" "$lath"
