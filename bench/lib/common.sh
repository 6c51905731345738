# Helpers shared by bench/run.sh (sourced; bash, set -euo pipefail in the caller).

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# need_tool COMMAND [DEBIAN-PACKAGE]: installs the package with apt-get if the command is missing
# (sudo only when not root), as scripts/install-deps.sh does for the C libraries.
need_tool() {
  local cmd=$1 pkg=${2:-$1}
  command -v "$cmd" >/dev/null 2>&1 && return 0
  log "installing $pkg (for $cmd)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >&2
  $sudo apt-get install -y -q "$pkg" >&2
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing $pkg"
}

# PIDs this run started, stopped by stop_all (and by the EXIT trap): never anything else.
OWN_PIDS=()
own() { OWN_PIDS+=("$1"); }

# stop_pid PID: SIGTERM, up to 40 s for a graceful stop, then SIGKILL. Only for our own PIDs.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 400); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# stall_table TABLE HOLD PAUSE URL: until stopped, takes an exclusive lock on TABLE for HOLD
# seconds, then waits PAUSE seconds, on the PostgreSQL database at URL.
stall_table() {
  local table=$1 hold=$2 pause=$3 url=$4
  while :; do
    psql "$url" -qc "BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($hold); COMMIT;" \
      >/dev/null 2>&1 || true
    sleep "$pause"
  done
}

stop_all() {
  local pid
  for pid in "${OWN_PIDS[@]}"; do stop_pid "$pid"; done
  OWN_PIDS=()
}

# free_port FROM: the first loopback port from FROM on that nothing listens on (another
# engineer's server may hold the default one).
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# wait_ready URL PID: until URL answers 2xx; fails if PID died or after 30 s.
wait_ready() {
  local url=$1 pid=$2
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -fs -o /dev/null "$url" && { kill -0 "$pid" 2>/dev/null; return; }
    sleep 0.1
  done
  return 1
}

# Peak RSS (VmHWM) of a process in KiB; reset_peak sets it back to the current RSS
# (/proc/PID/clear_refs, value 5), so that the next reading is the peak since then.
peak_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_peak() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null || true; }

# run_wrk NAME PID SCRIPT URL [wrk options...]: one scenario, $BENCH_SECONDS long, 2 threads and
# 16 connections; appends "NAME rps p50 p99 requests non2xx sockerr peak_kib" to $RESULTS and
# keeps wrk's own output in $WORK/wrk-NAME.txt.
run_wrk() {
  local name=$1 pid=$2 script=$3 url=$4; shift 4
  # Reads get a warm-up of BENCH_WARMUP seconds (default 2) first, not measured: the report is
  # about the steady state, not the first requests to a page (wrk corrects its latencies for
  # the requests a stalled connection could not send, so one cold start weighs on the p99).
  # Writes are measured from their first request: a second run would repeat their keys.
  case "$script" in
    get.lua | device_events.lua)
      BENCH_WRK_DIR="$BENCH_DIR/wrk" wrk -t2 -c16 -d"${BENCH_WARMUP:-2}s" --timeout 10s \
        -s "$BENCH_DIR/wrk/$script" "$@" "$url" >/dev/null 2>&1 || true
      ;;
  esac
  reset_peak "$pid"
  log "  $name: wrk -t2 -c16 -d${BENCH_SECONDS}s $url"
  BENCH_WRK_DIR="$BENCH_DIR/wrk" wrk -t2 -c16 -d"${BENCH_SECONDS}s" --timeout 10s --latency \
    -s "$BENCH_DIR/wrk/$script" "$@" "$url" >"$WORK/wrk-$name.txt" 2>&1 \
    || { cat "$WORK/wrk-$name.txt" >&2; die "wrk failed for $name"; }
  local line
  line=$(grep '^BENCH ' "$WORK/wrk-$name.txt" | tail -1) || die "no result from wrk for $name"
  kill -0 "$pid" 2>/dev/null || die "the server died during $name"
  set -- $line
  printf '%s %s %s %s %s %s %s %s %s\n' "$name" "$2" "$3" "$4" "$5" "$6" "$7" "$(peak_kib "$pid")" "$8" >>"$RESULTS"
  log "    $2 req/s, p50 $3 ms, p99 $4 ms, max $8 ms, $6 non-2xx, $7 socket errors"
}

# bench_database BACKEND DIR: a fresh database for a bench script; sets $url (and $dbname on
# PostgreSQL: a database next to TEST_DATABASE_URL, default the local server, which
# drop_bench_database drops). SQLite: a file in DIR.
bench_database() {
  admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
  dbname=""
  case "$1" in
    postgres) dbname=presale_bench_$$; psql "$admin" -qc "CREATE DATABASE $dbname"; url="${admin%/*}/$dbname" ;;
    sqlite) url="sqlite://$2/presale.sqlite3" ;;
    *) echo "backend: postgres or sqlite" >&2; exit 2 ;;
  esac
}
drop_bench_database() {
  [ -z "${dbname:-}" ] || psql "$admin" -qc "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" || true
}

# bench_token BIN: organizer `bench` with an all-permissions team, through the CLI on
# $PRESALE_DATABASE_URL; prints a token.
bench_token() {
  "$1" organizer create bench --name Bench 2>/dev/null
  "$1" team create bench API --all-events --all-permissions 2>/dev/null
  "$1" token create bench API
}

# small_catalog BASE TOKEN: a meta property and 60 events (`event01`...) below BASE
# (http://host:port/api/v1/organizers/bench), each with meta data and an item meta property.
small_catalog() {
  local base=$1 i
  local auth=(-H "Authorization: Token $2" -H "Content-Type: application/json")
  curl -fs -o /dev/null "${auth[@]}" -X POST "$base/meta_properties/" -d '{"name":"format","default":"","allowed_values":null}'
  for i in $(seq -w 1 60); do
    curl -fs -o /dev/null "${auth[@]}" -X POST "$base/events/" -d "{\"name\":{\"en\":\"Event $i\",\"de\":\"Veranstaltung $i\"},\"slug\":\"event$i\",\"date_from\":\"2030-01-01T10:00:00Z\",\"location\":\"Hall $i\",\"meta_data\":{\"format\":\"talk\"},\"item_meta_properties\":{\"colour\":\"red\"}}"
  done
}
