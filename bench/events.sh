#!/usr/bin/env bash
# Requests per second of the events list (a full page of 50) and the event detail, with wrk
# on loopback against a release build.
#   bench/events.sh [postgres|sqlite] [seconds]
# PostgreSQL: a fresh database next to TEST_DATABASE_URL (default the local server), dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
seconds=${2:-10}
port=${BENCH_PORT:-8099}
. bench/lib/common.sh
need_tool wrk
cargo build --release -q -p presale
bin=./target/release/presale
work=$(mktemp -d)
bench_database "$backend" "$work"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  drop_bench_database
  rm -rf "$work"
}
trap cleanup EXIT
export PRESALE_DATABASE_URL=$url RUST_LOG=warn
token=$(bench_token "$bin")
$bin serve --bind "127.0.0.1:$port" --db-pool-size 8 2>"$work/server.log" &
server=$!
base="http://127.0.0.1:$port/api/v1/organizers/bench"
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
small_catalog "$base" "$token"
echo "backend: $backend, wrk -t2 -c16 -d${seconds}s, server: 2 workers"
for path in "events/" "events/event01/"; do
  echo "== GET $path"
  wrk -t2 -c16 -d"${seconds}s" --latency -H "Authorization: Token $token" "$base/$path" | grep -E "Requests/sec|Latency|50%|99%"
done
echo "peak RSS of the server: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
