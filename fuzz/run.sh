#!/usr/bin/env bash
# The property-based fuzzing harness (`make fuzz`, `make fuzz-short`): Schemathesis reads the
# API's OpenAPI document and sends generated requests, checking each answer against the
# document (no 5xx, declared status codes, content types, headers and bodies), then chains
# operations (stateful phase). Each backend gets a fresh database, a token made with the CLI
# and a small seeded catalog: organizer `fuzz`, event `fuzz` with a product and a quota (and a
# spare event and team for the operations that delete or change them).
#
#   fuzz/run.sh [sqlite|postgres|all] [max-examples]
#
# Reports: target/fuzz/<backend>/ (junit.xml, report.json, output.txt, server.log).
# Exits non-zero when Schemathesis found a failure on any backend.
#
# Environment:
#   FUZZ_SEED      Schemathesis' random seed (default 1): the same seed generates the same cases
#   FUZZ_PHASES    Schemathesis' phases (default examples,coverage,fuzzing,stateful). The coverage
#                  phase sends some 7,000 requests whatever max-examples is (edge values of every
#                  parameter and field); `make fuzz-short` leaves it out
#   FUZZ_CHECKS    Schemathesis' checks, instead of the ones fuzz/schemathesis.toml turns on
#                  (`all` adds positive_data_acceptance and negative_data_rejection)
#   FUZZ_PYTHON    the Python for target/fuzz-venv (default python3). CPython 3.11 before 3.11.8
#                  and 3.12 before 3.12.2 have a bug with threads that can fail one operation with
#                  "SystemError: AST constructor recursion depth mismatch"; a newer one has not
#   FUZZ_WORKERS   Schemathesis' workers (default 2; `make fuzz-short` uses 1, which keeps that
#                  bug away from CI)
#   FUZZ_PROFILE   `release` to fuzz a release build (default: debug)
#   FUZZ_BIN       fuzz this presale binary instead of building one
#   FUZZ_SCHEMA    the document to test from, a URL or a file (default: the one the server
#                  serves at /api/v1/openapi.json)
#   FUZZ_PORT      the servers listen on the first free loopback port from this one (default 18490)
#   TEST_DATABASE_URL  the PostgreSQL server; a fresh database is made next to it and dropped
#                  (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# log, die, need_tool, free_port, wait_ready, own and stop_all, shared with the benchmarks.
. "$ROOT/bench/lib/common.sh"

case "${1:-all}" in
  all) BACKENDS="sqlite postgres" ;;
  sqlite | postgres) BACKENDS=$1 ;;
  *) echo "usage: fuzz/run.sh [sqlite|postgres|all] [max-examples]" >&2; exit 2 ;;
esac
EXAMPLES=${2:-50}
SEED=${FUZZ_SEED:-1}
PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
[[ "$EXAMPLES" =~ ^[1-9][0-9]*$ ]] || die "max-examples: a positive number, not '$EXAMPLES'"
export FUZZ_ORGANIZER=fuzz FUZZ_EVENT=fuzz FUZZ_SPARE_EVENT=spare

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presale-fuzz.XXXXXX")
PG_DB=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_all
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

# Schemathesis in its own virtual environment, made again only when requirements.txt or the
# Python changed since (the environment keeps a copy of both as a stamp).
need_tool curl
case " $BACKENDS " in *" postgres "*) need_tool psql postgresql-client ;; esac
VENV=$ROOT/target/fuzz-venv
PYTHON=${FUZZ_PYTHON:-python3}
stamp() { "$PYTHON" --version && cat fuzz/requirements.txt; }
if ! stamp | cmp -s - "$VENV/installed"; then
  log "installing Schemathesis into $VENV ($("$PYTHON" --version))"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r fuzz/requirements.txt
  stamp >"$VENV/installed"
fi
PY=$VENV/bin/python

# The server.
if [ -n "${FUZZ_BIN:-}" ]; then
  BIN=$FUZZ_BIN
else
  scripts/install-deps.sh
  PROFILE=${FUZZ_PROFILE:-debug}
  log "building ($PROFILE)"
  if [ "$PROFILE" = release ]; then cargo build -q --release -p presale; else cargo build -q -p presale; fi
  BIN=$ROOT/target/$PROFILE/presale
fi

# served URL: how many requests the server has answered, from its Prometheus counters.
served() {
  curl -fsS "$1/metrics" | awk '/^presale_http_requests_total[{ ]/ { n += $NF } END { printf "%d\n", n }'
}

# post URL BODY: creates an object through the API; prints the answer.
post() {
  curl -fsS -H "Authorization: Token $FUZZ_TOKEN" -H "Content-Type: application/json" -X POST "$1" -d "$2"
}
# json_id: the `id` of the JSON object on stdin.
json_id() { "$PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

FAILED=""
SUMMARY=()
fuzz_backend() {
  local backend=$1 url out=$ROOT/target/fuzz/$1
  log "== $backend"
  rm -rf "$out" && mkdir -p "$out"
  case "$backend" in
    postgres)
      PG_DB="presale_fuzz_$$"
      psql "$ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      url="${ADMIN_URL%/*}/$PG_DB"
      ;;
    sqlite) url="sqlite://$WORK/presale.sqlite3" ;;
  esac

  # The organizer, a team with every permission, and its token, through the CLI.
  export PRESALE_DATABASE_URL=$url RUST_LOG=warn
  "$BIN" organizer create "$FUZZ_ORGANIZER" --name "Fuzz" >/dev/null
  "$BIN" team create "$FUZZ_ORGANIZER" Fuzzers --all-events --all-permissions >/dev/null
  FUZZ_TOKEN=$("$BIN" token create "$FUZZ_ORGANIZER" Fuzzers)
  export FUZZ_TOKEN

  local port pid api
  port=$(free_port "${FUZZ_PORT:-18490}")
  api="http://127.0.0.1:$port"
  "$BIN" serve --bind "127.0.0.1:$port" --workers 2 2>"$out/server.log" &
  pid=$!
  own "$pid"
  wait_ready "$api/healthz" "$pid" || { cat "$out/server.log" >&2; die "Presale did not start"; }

  # Something for the operations on the fixed organizer and event to find: the event with a
  # product and a quota; and a spare event and team for the operations that delete or
  # change them (see fuzz/schemathesis.toml).
  local org="$api/api/v1/organizers/$FUZZ_ORGANIZER" item slug
  for slug in "$FUZZ_EVENT" "$FUZZ_SPARE_EVENT"; do
    post "$org/events/" "{\"name\":{\"en\":\"Fuzz\"},\"slug\":\"$slug\",\"date_from\":\"2030-01-01T10:00:00Z\"}" >/dev/null
  done
  local variation
  read -r item variation < <(post "$org/events/$FUZZ_EVENT/items/" '{"name":{"en":"Ticket"},"default_price":"10.00","variations":[{"value":{"en":"Regular"}}]}' \
    | "$PY" -c 'import json, sys; i = json.load(sys.stdin); print(i["id"], i["variations"][0]["id"])')
  post "$org/events/$FUZZ_EVENT/quotas/" "{\"name\":\"Tickets\",\"size\":100,\"items\":[$item],\"variations\":[$variation]}" >/dev/null
  FUZZ_SPARE_TEAM=$(post "$org/teams/" '{"name":"Spare","limit_events":[]}' | json_id)
  export FUZZ_SPARE_TEAM
  # More for the member operations to find (the product above has a variation): a digital content, a meta property,
  # a sales channel; and an initialized device, whose token the device API operations use.
  local ev="$org/events/$FUZZ_EVENT" init
  post "$ev/digitalcontents/" '{"title":{"en":"Stream"},"content_type":"link","url":"https://example.org/stream","all_products":true}' >/dev/null
  post "$org/meta_properties/" '{"name":"format","default":"","allowed_values":null}' >/dev/null
  post "$org/saleschannels/" '{"identifier":"api.fuzz","label":{"en":"Fuzz"},"type":"api"}' >/dev/null
  init=$(post "$org/devices/" '{"name":"Scanner","limit_events":["fuzz"],"security_profile":"full"}' \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["initialization_token"])')
  FUZZ_DEVICE_TOKEN=$(curl -fsS -H "Content-Type: application/json" -X POST "$api/api/v1/device/initialize" \
    -d "{\"token\":\"$init\",\"hardware_brand\":\"Fuzz\",\"hardware_model\":\"F1\",\"software_brand\":\"Fuzz\",\"software_version\":\"1\"}" \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["api_token"])')
  export FUZZ_DEVICE_TOKEN

  # The run, from the document the server serves (or FUZZ_SCHEMA), with fuzz/schemathesis.toml
  # and fuzz/hooks.py. Its request count is the server's own: the requests it answered
  # meanwhile, less the one that read the counter before.
  local args=(run "${FUZZ_SCHEMA:-$api/api/v1/openapi.json}" --url "$api" --phases "$PHASES"
    --workers "${FUZZ_WORKERS:-2}" --max-examples "$EXAMPLES" --seed "$SEED" --continue-on-failure --no-color
    --report junit,json --report-junit-path "$out/junit.xml" --report-json-path "$out/report.json")
  [ -z "${FUZZ_CHECKS:-}" ] || args+=(--checks "$FUZZ_CHECKS")
  local before status=0 started requests seconds failures
  before=$(served "$api")
  started=$(now)
  (cd "$out" && SCHEMATHESIS_HOOKS=$ROOT/fuzz/hooks.py \
    "$VENV/bin/st" --config-file "$ROOT/fuzz/schemathesis.toml" "${args[@]}") 2>&1 | tee "$out/output.txt" || status=$?
  kill -0 "$pid" 2>/dev/null || die "the server died during the run (see $out/server.log)"
  requests=$(($(served "$api") - before - 1))
  seconds=$(since "$started")
  # Distinct failures, and errors (an operation Schemathesis could not test), from its JSON report.
  failures=$("$PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))
print("%d failures, %d errors" % (r["test_cases"]["unique_failures"], sum(e["count"] for e in r["errors"])))' \
    "$out/report.json" 2>/dev/null || echo "no report")
  stop_all
  if [ -n "$PG_DB" ]; then psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null; PG_DB=""; fi
  [ "$status" -eq 0 ] || FAILED="$FAILED $backend"
  SUMMARY+=("$(printf '%-8s %7d requests in %6s s, %s (exit %d), reports in target/fuzz/%s/' \
    "$backend" "$requests" "$seconds" "$failures" "$status" "$backend")")
}

for backend in $BACKENDS; do fuzz_backend "$backend"; done
echo
echo "fuzz: phases $PHASES, max-examples $EXAMPLES, seed $SEED"
printf '  %s\n' "${SUMMARY[@]}"
[ -z "$FAILED" ] || die "failures on:$FAILED"
