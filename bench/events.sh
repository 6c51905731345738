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
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
dbname=presale_bench_$$
case "$backend" in
  postgres) psql "$admin" -qc "CREATE DATABASE $dbname"; url="${admin%/*}/$dbname" ;;
  sqlite) url="sqlite://$work/presale.sqlite3" ;;
  *) echo "backend: postgres or sqlite" >&2; exit 2 ;;
esac
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ "$backend" = postgres ] && psql "$admin" -qc "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
export PRESALE_DATABASE_URL=$url RUST_LOG=warn
$bin organizer create bench --name Bench 2>/dev/null
$bin team create bench API --all-events --all-permissions 2>/dev/null
token=$($bin token create bench API)
$bin serve --bind "127.0.0.1:$port" --db-pool-size 8 2>"$work/server.log" &
server=$!
base="http://127.0.0.1:$port/api/v1/organizers/bench"
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
auth=(-H "Authorization: Token $token" -H "Content-Type: application/json")
curl -fs -o /dev/null "${auth[@]}" -X POST "$base/meta_properties/" -d '{"name":"format","default":"","allowed_values":null}'
for i in $(seq -w 1 60); do
  curl -fs -o /dev/null "${auth[@]}" -X POST "$base/events/" -d "{\"name\":{\"en\":\"Event $i\",\"de\":\"Veranstaltung $i\"},\"slug\":\"event$i\",\"date_from\":\"2030-01-01T10:00:00Z\",\"location\":\"Hall $i\",\"meta_data\":{\"format\":\"talk\"},\"item_meta_properties\":{\"colour\":\"red\"}}"
done
echo "backend: $backend, wrk -t2 -c16 -d${seconds}s, server: 2 workers"
for path in "events/" "events/event01/"; do
  echo "== GET $path"
  wrk -t2 -c16 -d"${seconds}s" --latency -H "Authorization: Token $token" "$base/$path" | grep -E "Requests/sec|Latency|50%|99%"
done
echo "peak RSS of the server: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
