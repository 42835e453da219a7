#!/usr/bin/env bash
# The demo in a real browser: headless Chromium driven by Selenium.
#
#   bash tests/browser/run.sh
#
# Installs Debian's chromium, chromium-driver and python3-selenium when
# they are missing; skips, saying why, only when they cannot be had.
# Builds and starts the demo on a free loopback port, runs
# tests/browser/test_demo.py against it, and leaves a screenshot of each
# page in $LATH_SCREENSHOTS (default target/browser-screenshots).
set -euo pipefail
cd "$(dirname "$0")/../.."

python=/usr/bin/python3
have() {
    command -v chromium >/dev/null && command -v chromedriver >/dev/null &&
        "$python" -c 'import selenium' 2>/dev/null
}
if ! have; then
    echo "browser test: installing chromium, chromium-driver, python3-selenium"
    if ! { (apt-get update -q || true) >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            chromium chromium-driver python3-selenium >/dev/null 2>&1; }; then
        echo "browser test: SKIPPED: chromium, chromium-driver and python3-selenium cannot be installed here"
        exit 0
    fi
fi
if ! have; then
    echo "browser test: SKIPPED: chromium, chromium-driver or python3-selenium missing after install"
    exit 0
fi

cargo build -q --example demo
shots="${LATH_SCREENSHOTS:-target/browser-screenshots}"
mkdir -p "$shots"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target_dir=$(cargo metadata --format-version 1 --no-deps | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
log=$(mktemp)
"$target_dir/debug/examples/demo" --port "$port" --workers 1 >"$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$log" && break
    sleep 0.1
done
status=0
timeout 300 "$python" tests/browser/test_demo.py "http://127.0.0.1:$port" "$shots" || status=$?
if grep -q "lath::lint" "$log"; then
    echo "browser test: the lint layer warned:"
    grep "lath::lint" "$log"
    status=1
fi
echo "browser test: screenshots in $shots"
exit $status
