#!/usr/bin/env bash
# Imported secrets at scale, against a release build on loopback:
#  1. N secrets into one event through bulk_create (500 per request, C concurrent clients on
#     kept-alive connections: one curl process running the requests in parallel);
#  2. N secrets into another event through `presale secrets import` (a CSV file, chunked mode);
#  3. list timings (first, middle and last page, and page=last) of the N-secret event and of
#     an event with 1,000 secrets, the median of R requests each.
#   bench/secrets.sh [postgres|sqlite] [N=1000000] [C=4] [R=21]
# PostgreSQL: a fresh database next to TEST_DATABASE_URL (default the local server), dropped
# after. Run it on a quiet machine: the import rate is CPU-bound on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
n=${2:-1000000}
clients=${3:-4}
repeat=${4:-21}
port=${BENCH_PORT:-8098}
[ $((n % 500)) -eq 0 ] || { echo "N must be a multiple of 500" >&2; exit 2; }
. bench/lib/common.sh
need_tool jq
cargo build --release -q -p presale
bin=$PWD/target/release/presale
work=$(mktemp -d)
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
dbname=presale_bench_secrets_$$
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
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

export PRESALE_DATABASE_URL=$url RUST_LOG=warn
$bin organizer create bench --name Bench 2>/dev/null
$bin team create bench API --all-events --all-permissions 2>/dev/null
token=$($bin token create bench API)
$bin serve --bind "127.0.0.1:$port" --db-pool-size $((clients + 4)) 2>"$work/server.log" &
server=$!
base="http://127.0.0.1:$port/api/v1/organizers/bench/events"
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
auth=(-H "Authorization: Token $token" -H "Content-Type: application/json")
for event in viaapi viacli small; do
  curl -fs -o /dev/null "${auth[@]}" -X POST "$base/" \
    -d "{\"name\":\"$event\",\"slug\":\"$event\",\"date_from\":\"2030-01-01T10:00:00Z\"}"
done

# Request bodies of 500 secrets each, dealt round-robin to one curl configuration per client.
mkdir "$work/bodies"
awk -v n="$n" -v clients="$clients" -v dir="$work/bodies" \
    -v url="$base/viaapi/imported_secrets/bulk_create/" -v token="$token" -v config="$work/client" 'BEGIN {
  for (f = 0; f < n / 500; f++) {
    file = sprintf("%s/%05d.json", dir, f)
    printf "[" > file
    for (i = 0; i < 500; i++) printf "%s{\"secret\":\"api-%09d\"}", (i ? "," : ""), f * 500 + i > file
    printf "]" > file
    close(file)
    c = sprintf("%s%d.cfg", config, f % clients)
    if (f >= clients) printf "next\n" > c
    printf "url = \"%s\"\nheader = \"Authorization: Token %s\"\nheader = \"Content-Type: application/json\"\n", url, token > c
    printf "data-binary = \"@%s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", file > c
  }
}'
awk -v n="$n" 'BEGIN { print "secret"; for (i = 0; i < n; i++) printf "cli-%09d\n", i }' > "$work/secrets.csv"
# The 1,000-secret event, for comparison.
for part in 0 1; do
  awk -v p="$part" 'BEGIN { printf "["; for (i = 0; i < 500; i++) printf "%s{\"secret\":\"small-%04d\"}", (i ? "," : ""), p * 500 + i; printf "]" }' \
    | curl -fs -o /dev/null "${auth[@]}" -X POST "$base/small/imported_secrets/bulk_create/" --data-binary @-
done

echo "backend: $backend, $n secrets, $clients concurrent clients, $(nproc) cores"
echo "== bulk_create: $((n / 500)) requests of 500"
start=$(now)
# Each client: one curl process sending its requests one after the other on one connection.
clients_running=()
for config in "$work"/client*.cfg; do
  curl -s -K "$config" >>"$work/statuses" &
  clients_running+=($!)
done
wait "${clients_running[@]}"
seconds=$(since "$start")
ok=$(grep -c '^201$' "$work/statuses" || true)
echo "   ${seconds} s, $(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') secrets/s; $ok of $((n / 500)) requests answered 201"
[ "$ok" -eq $((n / 500)) ] || { echo "   other statuses:"; sort "$work/statuses" | uniq -c | grep -v ' 201$'; }

echo "== presale secrets import (CSV, chunked)"
start=$(now)
$bin secrets import bench viacli "$work/secrets.csv" 2>"$work/import.log" >"$work/import.out" \
  || { echo "   import failed:"; tail -3 "$work/import.log"; }
seconds=$(since "$start")
echo "   ${seconds} s, $(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') secrets/s; $(tail -1 "$work/import.log")"

# The median time of $repeat requests of a URL, in milliseconds.
median_ms() {
  for _ in $(seq 1 "$repeat"); do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Token $token" "$1"
  done | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", t[int((NR + 1) / 2)] * 1000 }'
}
echo "== list pages (median of $repeat requests, ms)"
printf "   %-14s %10s %10s %10s %10s\n" event first middle last "page=last"
for event in small viaapi; do
  count=$(curl -fs -H "Authorization: Token $token" "$base/$event/imported_secrets/" | jq .count)
  pages=$(( (count + 49) / 50 ))
  list="$base/$event/imported_secrets/"
  printf "   %-14s %10s %10s %10s %10s\n" "$event ($count)" \
    "$(median_ms "$list")" "$(median_ms "$list?page=$(( (pages + 1) / 2 ))")" \
    "$(median_ms "$list?page=$pages")" "$(median_ms "$list?page=last")"
done
list="$base/viaapi/imported_secrets/?used=false"
printf "   %-14s %10s %10s %10s %10s\n" "used=false" "$(median_ms "$list")" \
  "$(median_ms "$list&page=$(( (n / 50 + 1) / 2 ))")" "$(median_ms "$list&page=$((n / 50))")" \
  "$(median_ms "$list&page=last")"
echo "peak RSS of the server: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
