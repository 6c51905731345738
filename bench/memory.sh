#!/usr/bin/env bash
# The read cache's memory bound: a release Presale on a fresh SQLite database (the demo
# organizer and its sample event) answers GET requests with distinct URLs, each kept by the
# read cache, and the server's peak resident memory is reported. Loopback only; bounded in
# count.
#
#   bench/memory.sh [requests]      (default 45000; BENCH_PORT, default 18490)
#   PRESALE_CACHE_MS=0 bench/memory.sh   the same with the read cache off
#
# Needs target/release/presale (`cargo build --release -p presale`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-45000}
PORT=${BENCH_PORT:-18490}
BIN=target/release/presale
[ -x "$BIN" ] || { echo "build first: cargo build --release -p presale" >&2; exit 2; }
DIR=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
"$BIN" serve --demo --bind "127.0.0.1:$PORT" --data-dir "$DIR" --workers 2 >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 100); do grep -q '^API token' "$DIR/out" 2>/dev/null && break; sleep 0.1; done
TOKEN=$(sed -n "s/^API token for organizer 'demo': //p" "$DIR/out")
[ -n "$TOKEN" ] || { cat "$DIR/err" >&2; exit 1; }
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d MiB  ", $1, $2/1024}' "/proc/$PID/status"; }
echo "started:  $(rss)"
python3 - "$PORT" "$TOKEN" "$REQUESTS" <<'PY'
import http.client, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": "Token " + token}
paths = ["/api/v1/organizers/demo/events/?search=x{}",
         "/api/v1/organizers/demo/events/democon/imported_secrets/?secret=S{}",
         "/api/v1/organizers/demo/events/democon/items/?page_size={}"]
bad = 0
for i in range(n):
    conn.request("GET", paths[i % 3].format(i), headers=headers)
    r = conn.getresponse()
    r.read()
    bad += r.status != 200
print(f"{n} requests, {bad} not 200")
PY
echo "after:    $(rss)"
