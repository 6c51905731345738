#!/usr/bin/env bash
# What recording metrics costs per request, in CPU instructions: the server runs under
# valgrind's callgrind, which counts the instructions it executes (the same count for the same
# binary, inputs and requests, whatever else the machine does, unlike req/s), once with
# metrics (`--metrics api`) and once without (`--metrics off`), each time for a small and a
# large number of the same request; (large - small) / (difference in requests) is the cost of
# one request with startup and shutdown taken out.
#   bench/metrics-instructions.sh [requests]       (default 400: 100 and 500 requests)
# Scenarios: those of `make bench` on SQLite: the event list and an event's detail served as
# kept answers, and with kept answers off (`--cache-ms 0`). Kept answers are kept for ten
# minutes here: with the default second, the answer would be computed again in the
# background every second, and under callgrind, where a request takes milliseconds, that
# recomputation would be shared by a few dozen requests (under `make bench`'s load, by
# thousands), weighing on each by how long the run took rather than by what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-400}
small=100
large=$((small + extra))
. bench/lib/common.sh
need_tool valgrind
need_tool curl
cargo build --release -q -p presale
bin=$PWD/target/release/presale
work=$(mktemp -d)
pid=""
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# One database for every run, copied fresh for each: the organizer, a token and 60 events.
export PRESALE_DATABASE_URL="sqlite://$work/seed.sqlite3" RUST_LOG=warn
token=$(bench_token "$bin")
port=$(free_port 18700)
"$bin" serve --bind "127.0.0.1:$port" --workers 1 2>"$work/seed.log" &
pid=$!
wait_ready "http://127.0.0.1:$port/readyz" "$pid" || die "the seeding server did not start"
small_catalog "http://127.0.0.1:$port/api/v1/organizers/bench" "$token"
kill "$pid" && wait "$pid" 2>/dev/null || true
pid=""

# instructions PATH N ARGS...: the instructions the server executes from its start to its
# stop, having answered N GETs of PATH (after /readyz answered).
instructions() {
  local path=$1 n=$2 out=$work/callgrind.out i
  shift 2
  cp "$work/seed.sqlite3" "$work/run.sqlite3"
  PRESALE_DATABASE_URL="sqlite://$work/run.sqlite3" valgrind --tool=callgrind \
    --callgrind-out-file="$out" "$bin" serve --bind "127.0.0.1:$port" --workers 1 "$@" \
    2>"$work/run.log" &
  pid=$!
  for i in $(seq 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/run.log" >&2; die "the server did not start"; }
    sleep 0.2
  done
  for i in $(seq "$n"); do
    curl -fs -o /dev/null -H "Authorization: Token $token" "http://127.0.0.1:$port$path"
  done
  kill -INT "$pid" && wait "$pid" 2>/dev/null || true
  pid=""
  awk '/^summary:/ { print $2 }' "$out"
}

org=/api/v1/organizers/bench
printf '| scenario | metrics | instructions per request | cost |\n| --- | --- | ---: | ---: |\n'
for scenario in "event_list $org/events/ --cache-ms 600000" "event_detail $org/events/event01/ --cache-ms 600000" \
  "event_list_db $org/events/ --cache-ms 0" "event_detail_db $org/events/event01/ --cache-ms 0"; do
  set -- $scenario
  name=$1 path=$2
  shift 2
  declare -A per=()
  for metrics in off api; do
    a=$(instructions "$path" "$small" --metrics "$metrics" "$@")
    b=$(instructions "$path" "$large" --metrics "$metrics" "$@")
    per[$metrics]=$(((b - a) / extra))
  done
  cost=$(awk -v on="${per[api]}" -v off="${per[off]}" 'BEGIN { printf "%+.1f %%", (on - off) * 100 / off }')
  printf '| %s | off | %d | |\n| %s | on | %d | %s |\n' "$name" "${per[off]}" "$name" "${per[api]}" "$cost"
done
