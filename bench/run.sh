#!/usr/bin/env bash
# The benchmark harness (`make bench`): a release build of Presale on PostgreSQL and SQLite,
# seeded through the API, driven with wrk on loopback; a Markdown report on stdout and in
# bench/results/latest.md. See docs/performance.md, "Running the benchmarks".
#
#   bench/run.sh [postgres|sqlite|all] [seconds]
#
# Environment:
#   BENCH_SECONDS   seconds per scenario (default 10; the second argument wins)
#   BENCH_SECRETS   imported secrets seeded into one event (default 1000000, a multiple of 500)
#   BENCH_EVENTS    events seeded (default 1000)
#   BENCH_DEVICES   devices seeded (default 50)
#   BENCH_PORT      the servers listen on the first free loopback ports from this one (default 18390)
#   BENCH_REPORT    where the report is written (default bench/results/latest.md)
#   BENCH_SKIP_BUILD=1  use the binaries already in target/release (while developing the harness)
#   BENCH_METRICS   where the servers record metrics (`--metrics`; default api, the server's
#                   default); `off` measures without them
#   TEST_DATABASE_URL  the PostgreSQL server; a fresh database is made next to it and dropped
#                   (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=$ROOT/bench
. "$BENCH_DIR/lib/common.sh"
. "$BENCH_DIR/lib/seed.sh"
. "$BENCH_DIR/lib/report.sh"

case "${1:-all}" in
  all) BACKENDS="postgres sqlite" ;;
  postgres | sqlite) BACKENDS=$1 ;;
  *) echo "usage: bench/run.sh [postgres|sqlite|all] [seconds]" >&2; exit 2 ;;
esac
BENCH_SECONDS=${2:-${BENCH_SECONDS:-10}}
SECRETS=${BENCH_SECRETS:-1000000}
EVENTS=${BENCH_EVENTS:-1000}
DEVICES=${BENCH_DEVICES:-50}
PORT=${BENCH_PORT:-18390}
REPORT=${BENCH_REPORT:-$ROOT/bench/results/latest.md}
ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
WORKERS=2
ORG=bench
[[ "$BENCH_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "seconds: a positive number, not '$BENCH_SECONDS'"
[ $((SECRETS % 500)) -eq 0 ] && [ "$SECRETS" -ge 500 ] || die "BENCH_SECRETS: a multiple of 500"

STARTED=$(now)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presale-bench.XXXXXX")
PG_DB=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_all
  local pid
  for pid in $(jobs -p); do stop_pid "$pid"; done  # our own background jobs only
  if [ -n "$PG_DB" ]; then
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 \
      || log "could not drop the database $PG_DB"
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Tools and the build.
scripts/install-deps.sh
need_tool wrk
need_tool jq
need_tool curl
case " $BACKENDS " in *" postgres "*) need_tool psql postgresql-client ;; esac
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  log "not building (BENCH_SKIP_BUILD=1): the binaries in target/release as they are"
else
  log "building (release)"
  cargo build --release -q -p presale -p presale-bench-ceiling
fi
since "$STARTED" >"$WORK/build-seconds"
BIN=$ROOT/target/release/presale
CEILING=$ROOT/target/release/presale-bench-ceiling

# The machine.
cut -d' ' -f1-3 /proc/loadavg >"$WORK/load-before"
if [[ " $BACKENDS " == *" postgres "* ]]; then
  psql "$ADMIN_URL" -tAc 'SHOW server_version' >"$WORK/pg-version" 2>/dev/null \
    || die "PostgreSQL at $ADMIN_URL is not reachable (scripts/start-postgres.sh starts a local one; or run bench/run.sh sqlite)"
  sed -i 's/ .*//' "$WORK/pg-version"
fi
{ sqlite3 --version 2>/dev/null || dpkg-query -W -f '${Version}' libsqlite3-0 2>/dev/null || echo "?"; } \
  | awk '{ print $1; exit }' >"$WORK/sqlite-version"
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' (crates/ modified)')"
  [[ " $BACKENDS " == *" postgres "* ]] && echo "- PostgreSQL $(cat "$WORK/pg-version")"
  echo "- SQLite $(cat "$WORK/sqlite-version")"
  echo "- load: wrk -t2 -c16, ${BENCH_SECONDS} s per scenario, on loopback on the same machine;" \
    "server: \`presale serve --workers $WORKERS --db-pool-size 8 --metrics ${BENCH_METRICS:-api}\`, RUST_LOG=warn"
  echo "- $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'), $(curl --version | head -1 | awk '{ print $1, $2 }')"
} >"$WORK/machine"

CEILING_PAGE_FROM=""

# ceilings: the bare handlers with the page saved from the first backend's run.
run_ceilings() {
  RESULTS=$WORK/ceilings
  : >"$RESULTS"
  local mode port pid
  for mode in bytes serialize; do
    port=$(free_port "$PORT")
    "$CEILING" "$mode" "$WORK/page.json" --bind "127.0.0.1:$port" --workers "$WORKERS" \
      2>"$WORK/ceiling-$mode.log" &
    pid=$!
    own "$pid"
    wait_ready "http://127.0.0.1:$port/" "$pid" || { cat "$WORK/ceiling-$mode.log" >&2; die "the $mode ceiling did not start"; }
    curl -fs "http://127.0.0.1:$port/" | cmp -s - "$WORK/page.json" \
      || die "the $mode ceiling does not answer the saved page"
    run_wrk "ceiling_$mode" "$pid" get.lua "http://127.0.0.1:$port/api/v1/organizers/$ORG/events/"
    stop_all
  done
}

bench_backend() {
  local backend=$1 url
  log "== $backend"
  case "$backend" in
    postgres)
      PG_DB="presale_bench_$$"
      psql "$ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      # Loopback: no TLS (libpq's default `prefer` would encrypt every round trip).
      url="${ADMIN_URL%/*}/$PG_DB?sslmode=disable"
      ;;
    sqlite) url="sqlite://$WORK/presale.sqlite3" ;;
  esac
  export PRESALE_DATABASE_URL=$url RUST_LOG=warn
  "$BIN" organizer create "$ORG" --name "Bench Events" >/dev/null 2>&1
  "$BIN" team create "$ORG" Admins --all-events --all-permissions >/dev/null 2>&1
  TOKEN=$("$BIN" token create "$ORG" Admins --name bench 2>/dev/null)
  export BENCH_TOKEN=$TOKEN

  local pid port
  port=$(free_port "$PORT")
  API="http://127.0.0.1:$port"
  start_server() {
    "$BIN" serve --bind "127.0.0.1:$port" --workers "$WORKERS" --db-pool-size 8 \
      --metrics "${BENCH_METRICS:-api}" "$@" 2>>"$WORK/server-$backend.log" &
    pid=$!
    own "$pid"
    wait_ready "$API/readyz" "$pid" || { cat "$WORK/server-$backend.log" >&2; die "Presale did not start"; }
  }
  start_server

  SEED=$WORK/seed-$backend
  : >"$SEED"
  log "seeding $EVENTS events, $DEVICES devices, $SECRETS secrets"
  seed_organizer
  seed_events "$EVENTS"
  seed_devices "$DEVICES"
  log "  events: $(get "$SEED" events 3) s, devices: $(get "$SEED" devices 3) s; bulk_create of $SECRETS secrets..."
  seed_secrets "$SECRETS"
  log "  $SECRETS secrets through bulk_create: $(get "$SEED" secrets 3) s"
  echo "seed_peak $(peak_kib "$pid")" >>"$SEED"
  if [ "$backend" = postgres ]; then
    # Statistics and the visibility map now, rather than autovacuum in the middle of a scenario;
    # then a checkpoint, so that the gigabyte the import dirtied is not being written out (and
    # a read waiting on that I/O) while the scenarios run.
    psql "$url" -qc "VACUUM (ANALYZE)" >/dev/null
    psql "$url" -qc "CHECKPOINT" >/dev/null
  fi

  local org="$API/api/v1/organizers/$ORG" auth="Authorization: Token $TOKEN"
  if [ -z "$CEILING_PAGE_FROM" ]; then
    curl -fsS -H "$auth" "$org/events/" -o "$WORK/page.json"
    [ "$(jq '.results | length' "$WORK/page.json")" -eq 50 ] || die "the event list page has not 50 events"
  fi
  local pages=$(( (SECRETS + 49) / 50 ))
  RESULTS=$WORK/results-$backend
  : >"$RESULTS"
  export BENCH_DEVICE_TOKENS=$WORK/device-tokens
  # Every read scenario, named with the suffix $1 ("" or "_uncached").
  run_reads() {
    local suffix=$1
    run_wrk "event_list$suffix" "$pid" get.lua "$org/events/" -H "$auth"
    run_wrk "event_detail$suffix" "$pid" get.lua "$org/events/event0001/" -H "$auth"
    run_wrk "event_settings$suffix" "$pid" get.lua "$org/events/event0001/settings/" -H "$auth"
    run_wrk "secrets_first$suffix" "$pid" get.lua "$org/events/festival/imported_secrets/?page=1" -H "$auth"
    run_wrk "secrets_middle$suffix" "$pid" get.lua "$org/events/festival/imported_secrets/?page=$((pages / 2))" -H "$auth"
    run_wrk "secrets_last$suffix" "$pid" get.lua "$org/events/festival/imported_secrets/?page=$pages" -H "$auth"
    run_wrk "device_events$suffix" "$pid" device_events.lua "$org/events/"
  }
  # Reads first, then the writes (which add events and secrets).
  run_reads ""
  if [ "$backend" = postgres ]; then
    # The event list while the database stalls: another session holds an exclusive lock on
    # `events` for 0.8 s every 1.15 s, so whatever reads the events waits (for less than the
    # read cache's TTL). A kept page is to be served meanwhile: the max latency shows whether
    # any client waited for the database.
    stall_table events 0.8 0.35 "$url" &
    local staller=$!
    own "$staller"
    run_wrk event_list_stalled "$pid" get.lua "$org/events/" -H "$auth"
    stop_pid "$staller"
    sleep 1  # its last lock ends
  fi
  # This organizer's event list and detail while another organizer PATCHes one of its events
  # 20 times a second through the same server: what the other's writes cost these reads.
  "$BIN" organizer create other --name "Other" >/dev/null 2>&1
  "$BIN" team create other Admins --all-events --all-permissions >/dev/null 2>&1
  OTHER_TOKEN=$("$BIN" token create other Admins --name writer 2>/dev/null)
  curl -fsS -X POST -H "Authorization: Token $OTHER_TOKEN" -H "Content-Type: application/json" \
    --data-binary '{"name":{"en":"Busy"},"slug":"busy","date_from":"2030-01-01T10:00:00Z"}' \
    "$API/api/v1/organizers/other/events/" >/dev/null
  local busy="$API/api/v1/organizers/other/events/busy/"
  python3 "$BENCH_DIR/tools/writer.py" "$busy" "$OTHER_TOKEN" 20 >"$WORK/writer-$backend.txt" &
  local writer=$!
  own "$writer"
  run_wrk event_list_writes "$pid" get.lua "$org/events/" -H "$auth"
  run_wrk event_detail_writes "$pid" get.lua "$org/events/event0001/" -H "$auth"
  stop_pid "$writer"
  log "  the other organizer's writer: $(cat "$WORK/writer-$backend.txt")"
  # The database path: kept answers off (credentials still cached, `_db`), then every cache
  # off (`_uncached`): every request does its database work. (Skipped for a build older than
  # these switches, when comparing against one with BENCH_SKIP_BUILD=1.)
  if "$BIN" serve --help | grep -q -- --credential-cache-ms; then
    stop_all
    start_server --cache-ms 0
    run_reads _db
    stop_all
    start_server --cache-ms 0 --credential-cache-ms 0
    run_reads _uncached
    stop_all
    start_server
  fi
  # Two processes on one database: how long after a write answered by one the other answers
  # with it (the event renamed through A, B asked until it shows the new name), and, on
  # PostgreSQL, the event list through a load balancer (haproxy) in front of both.
  stop_all
  local a_port b_port lb_port a_pid b_pid
  a_port=$(free_port "$PORT")
  "$BIN" serve --bind "127.0.0.1:$a_port" --workers 1 --db-pool-size 4 2>>"$WORK/server-$backend.log" &
  a_pid=$!
  own "$a_pid"
  wait_ready "http://127.0.0.1:$a_port/readyz" "$a_pid" || die "process A did not start"
  b_port=$(free_port "$PORT")
  "$BIN" serve --bind "127.0.0.1:$b_port" --workers 1 --db-pool-size 4 2>>"$WORK/server-$backend.log" &
  b_pid=$!
  own "$b_pid"
  wait_ready "http://127.0.0.1:$b_port/readyz" "$b_pid" || die "process B did not start"
  python3 "$BENCH_DIR/tools/staleness.py" "http://127.0.0.1:$a_port" "http://127.0.0.1:$b_port" \
    "$TOKEN" "/api/v1/organizers/$ORG/events/event0002/" 25 >"$WORK/staleness-$backend" \
    || log "  a try exceeded 5 s"
  log "  cross-process staleness (max, median, tries): $(cat "$WORK/staleness-$backend")"
  if [ "$backend" = postgres ]; then
    need_tool haproxy
    lb_port=$(free_port "$PORT")
    cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 1024
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend api
  bind 127.0.0.1:$lb_port
  default_backend presale
backend presale
  balance roundrobin
  http-reuse always
  server a 127.0.0.1:$a_port
  server b 127.0.0.1:$b_port
CFG
    haproxy -db -f "$WORK/haproxy.cfg" 2>"$WORK/haproxy.log" &
    local lb_pid=$!
    own "$lb_pid"
    wait_ready "http://127.0.0.1:$lb_port/readyz" "$lb_pid" || { cat "$WORK/haproxy.log" >&2; die "haproxy did not start"; }
    run_wrk event_list_balanced "$a_pid" get.lua "http://127.0.0.1:$lb_port/api/v1/organizers/$ORG/events/" -H "$auth"
  fi
  stop_all
  start_server
  run_wrk event_create "$pid" create_event.lua "$org/events/"
  run_wrk bulk_create "$pid" bulk_create.lua "$org/events/bulk/imported_secrets/bulk_create/"
  stop_all
  if [ -n "$PG_DB" ]; then
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
  if [ -z "$CEILING_PAGE_FROM" ]; then
    CEILING_PAGE_FROM=$backend
    log "== ceilings"
    run_ceilings
  fi
}

for backend in $BACKENDS; do bench_backend "$backend"; done

since "$STARTED" >"$WORK/elapsed"
mkdir -p "$(dirname "$REPORT")"
render_report >"$WORK/report.md"
cp "$WORK/report.md" "$REPORT"
cat "$WORK/report.md"
log "report written to $REPORT"
