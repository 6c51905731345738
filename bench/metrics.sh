#!/usr/bin/env bash
# What recording metrics costs on the read scenarios: the same database served by processes
# with metrics (the default, `--metrics api`) and without (`--metrics off`), each read
# scenario run against both in turns (one server under load at a time), several rounds; the
# median req/s of each and the cost (1 - with/without).
#   bench/metrics.sh [postgres|sqlite] [seconds] [rounds]
# BENCH_CONTROL=1: every process records metrics (an A/A run): what the two sides differ by
# with no difference between them, the yardstick for the figures of a real run.
# PostgreSQL: a fresh database next to TEST_DATABASE_URL (default the local server), dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
seconds=${2:-5}
rounds=${3:-3}
. bench/lib/common.sh
need_tool wrk
cargo build --release -q -p presale
bin=./target/release/presale
work=$(mktemp -d)
bench_database "$backend" "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  drop_bench_database
  rm -rf "$work"
}
trap cleanup EXIT
export PRESALE_DATABASE_URL=$url RUST_LOG=warn
token=$(bench_token "$bin")

# serve NAME ARGS...: a server with 2 workers on a free port; its port in $work/NAME.port.
serve() {
  local name=$1; shift
  local port
  port=$(free_port $((18600 + ${#pids[@]} * 10)))
  $bin serve --bind "127.0.0.1:$port" --workers 2 --db-pool-size 8 "$@" 2>"$work/$name.log" &
  pids+=($!)
  wait_ready "http://127.0.0.1:$port/readyz" "$!" || die "$name did not start"
  echo "$port" >"$work/$name.port"
}
off=off
[ -n "${BENCH_CONTROL:-}" ] && off=api
# Two processes of each kind, started with-without-without-with: two processes of the same
# binary and settings can differ by a few per cent, so the rounds take turns between the
# pairs (1 and 2), and which kind was started first changes with them.
for suffix in "" _db; do
  cache=(); [ -n "$suffix" ] && cache=(--cache-ms 0)
  serve "with${suffix}_1" "${cache[@]}"
  serve "without${suffix}_1" "${cache[@]}" --metrics "$off"
  serve "without${suffix}_2" "${cache[@]}" --metrics "$off"
  serve "with${suffix}_2" "${cache[@]}"
done

base="http://127.0.0.1:$(cat "$work/with_1.port")/api/v1/organizers/bench"
small_catalog "$base" "$token"

# rps NAME PATH: req/s of one wrk run against server NAME.
rps() {
  local port
  port=$(cat "$work/$1.port")
  wrk -t2 -c16 -d"${seconds}s" -H "Authorization: Token $token" \
    "http://127.0.0.1:$port/api/v1/organizers/bench/$2" | awk '/^Requests\/sec/ { print $2 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "backend: $backend; wrk -t2 -c16, ${seconds} s a run, $rounds rounds; servers: 2 workers each"
if [ -n "${BENCH_CONTROL:-}" ]; then
  printf '| scenario | first kind (req/s, median) | second kind, the same | difference |\n'
else
  printf '| scenario | with metrics (req/s, median) | without | cost |\n'
fi
printf '| --- | ---: | ---: | ---: |\n'
for scenario in "events/:" "events/event01/:" "events/:_db" "events/event01/:_db"; do
  path=${scenario%%:*} suffix=${scenario#*:}
  : >"$work/a" && : >"$work/b"
  for pair in 1 2; do  # warm-up
    rps "with${suffix}_$pair" "$path" >/dev/null
    rps "without${suffix}_$pair" "$path" >/dev/null
  done
  for round in $(seq 1 "$rounds"); do
    # Alternating the pair, and which of it goes first, so that neither a process of its own
    # nor a drift of the machine weighs on one side.
    pair=$(((round - 1) % 2 + 1))
    if [ $(((round + 1) / 2 % 2)) -eq 1 ]; then
      rps "with${suffix}_$pair" "$path" >>"$work/a"
      rps "without${suffix}_$pair" "$path" >>"$work/b"
    else
      rps "without${suffix}_$pair" "$path" >>"$work/b"
      rps "with${suffix}_$pair" "$path" >>"$work/a"
    fi
  done
  a=$(median <"$work/a") b=$(median <"$work/b")
  label="GET $path"; [ -n "$suffix" ] && label="$label, kept answers off"
  awk -v l="$label" -v a="$a" -v b="$b" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.1f %% |\n", l, a, b, (1 - a / b) * 100 }'
done
