# The Markdown report (sourced by bench/run.sh): render_report prints it from the files in
# $WORK: results-<backend> and seed-<backend> (written by run.sh), ceilings, machine.

# Thousands separators: 12345.6 -> 12,346.
int() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
ms() { awk -v x="$1" 'BEGIN { if (x >= 100) printf "%.0f ms", x; else if (x >= 10) printf "%.1f ms", x; else printf "%.2f ms", x }'; }
mib() { awk -v x="$1" 'BEGIN { printf "%.1f MiB", x / 1024 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "-" }'; }
mark() { if [ "$1" = 1 ]; then echo "✓"; else echo "✗"; fi; }
# get FILE NAME COLUMN: the COLUMN-th field (1 = the name) of the line NAME in FILE.
get() { awk -v n="$2" -v c="$3" '$1 == n { v = $c } END { print (v == "" ? 0 : v) }' "$1" 2>/dev/null || echo 0; }

backend_title() {
  case "$1" in
    postgres) echo "PostgreSQL $(cat "$WORK/pg-version" 2>/dev/null)" ;;
    sqlite) echo "SQLite $(cat "$WORK/sqlite-version" 2>/dev/null)" ;;
  esac
}

scenario_label() {
  local pages=$1
  case "$2" in
    event_list) echo 'event list, `GET /events/` (a page of 50)' ;;
    event_detail) echo 'event detail, `GET /events/event0001/`' ;;
    event_settings) echo 'event settings, `GET /events/event0001/settings/`' ;;
    secrets_first) echo "imported secrets, page 1 of $(int "$pages")" ;;
    secrets_middle) echo "imported secrets, page $(int $((pages / 2))) of $(int "$pages")" ;;
    secrets_last) echo "imported secrets, page $(int "$pages") of $(int "$pages")" ;;
    device_events) echo 'event list as a device, `Authorization: Device`' ;;
    event_list_stalled) echo 'event list while the database stalls (`events` locked 0.8 s of every 1.15 s)' ;;
    event_create) echo 'event create, `POST /events/`' ;;
    bulk_create) echo 'bulk_create of 500 secrets' ;;
    ceiling_bytes) echo 'ceiling: the page as bytes from memory' ;;
    ceiling_serialize) echo 'ceiling: the page serialized from structs' ;;
    event_list_writes) echo 'event list while another organizer PATCHes an event 20 times a second' ;;
    event_detail_writes) echo 'event detail while another organizer PATCHes an event 20 times a second' ;;
    event_list_balanced) echo 'event list through haproxy in front of two processes (1 worker each)' ;;
    *_db) echo "$(scenario_label "$pages" "${2%_db}"), kept answers off (credentials cached)" ;;
    *_uncached) echo "$(scenario_label "$pages" "${2%_uncached}"), every cache off" ;;
    *) echo "$2" ;;
  esac
}

READS="event_list event_detail event_settings secrets_first secrets_middle secrets_last device_events"
LISTS="event_list device_events secrets_first secrets_middle secrets_last"
LISTS="$LISTS $(for n in $LISTS; do printf '%s_db %s_uncached ' "$n" "$n"; done)"

render_backend() {
  local b=$1 r="$WORK/results-$1" s="$WORK/seed-$1" c="$WORK/ceilings"
  local secrets pages bytes ser
  secrets=$(get "$s" secrets 2)
  pages=$(( (secrets + 49) / 50 ))
  bytes=$(get "$c" ceiling_bytes 2)
  ser=$(get "$c" ceiling_serialize 2)
  local secs_s; secs_s=$(get "$s" secrets 3)
  echo "## $(backend_title "$b")"
  echo
  echo "Seeded through the API: 1 organizer, $(int "$(get "$s" events 2)") events in $(get "$s" events 3) s" \
    "(4 clients), $(int "$(get "$s" devices 2)") devices created and initialised in $(get "$s" devices 3) s," \
    "**$(int "$secrets") imported secrets through \`bulk_create\` in $secs_s s**" \
    "($(int "$(awk -v n="$secrets" -v t="$secs_s" 'BEGIN { print (t > 0 ? n / t : 0) }')")/s; 500 per request, 4 clients)." \
    "Peak RSS of the server while seeding: $(mib "$(get "$s" seed_peak 2)")."
  echo
  echo "Peak RSS: the server's VmHWM during the scenario (reset before each through /proc/PID/clear_refs)." \
    "The list scenarios are also given as a share of the ceilings' req/s."
  echo
  echo "| scenario | req/s | p50 | p99 | max | errors | peak RSS | of bytes ceiling | of serializing ceiling |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  local name
  while read -r name rps p50 p99 requests non2xx sockerr peak max; do
    local of_bytes="" of_ser=""
    case " $LISTS " in *" $name "*) of_bytes=$(pct "$rps" "$bytes"); of_ser=$(pct "$rps" "$ser") ;; esac
    echo "| $(scenario_label "$pages" "$name") | $(int "$rps") | $(ms "$p50") | $(ms "$p99") | $(ms "$max") | $((non2xx + sockerr)) | $(mib "$peak") | $of_bytes | $of_ser |"
  done <"$r"
  echo
  # Targets.
  local list detail first last worst worst_name peak_all ok
  list=$(get "$r" event_list 2); detail=$(get "$r" event_detail 2)
  first=$(get "$r" secrets_first 3); last=$(get "$r" secrets_last 3)
  read -r worst_name worst < <(awk -v reads=" $READS " 'index(reads, " " $1 " ") && $4 + 0 >= w + 0 { w = $4; n = $1 } END { print n, w + 0 }' "$r")
  peak_all=$(awk '{ if ($8 > p) p = $8 } END { print p + 0 }' "$r")
  peak_all=$(awk -v a="$peak_all" -v b="$(get "$s" seed_peak 2)" 'BEGIN { print (a > b ? a : b) }')
  local note=""
  [ "$b" = postgres ] || note=" (the targets are set for PostgreSQL; shown for comparison)"
  echo "Targets$note:"
  echo
  echo "| target | measured | |"
  echo "| --- | --- | --- |"
  ok=$(awk -v x="$list" 'BEGIN { print (x >= 2500) }')
  echo "| event list ≥ 2,500 req/s | $(int "$list") req/s | $(mark "$ok") |"
  ok=$(awk -v x="$list" -v c="$ser" 'BEGIN { print (c > 0 && x >= 0.4 * c) }')
  echo "| event list ≥ 40 % of the serializing ceiling | $(pct "$list" "$ser") of $(int "$ser") req/s | $(mark "$ok") |"
  ok=$(awk -v x="$detail" 'BEGIN { print (x >= 8000) }')
  echo "| event detail ≥ 8,000 req/s | $(int "$detail") req/s | $(mark "$ok") |"
  ok=$(awk -v x="$worst" 'BEGIN { print (x < 20) }')
  echo "| p99 < 20 ms for every read scenario | worst $(ms "$worst") ($worst_name) | $(mark "$ok") |"
  if [ "$secrets" -eq 1000000 ]; then
    ok=$(awk -v x="$secs_s" 'BEGIN { print (x < 60) }')
    echo "| 1,000,000 secrets through \`bulk_create\` < 60 s | $secs_s s | $(mark "$ok") |"
  else
    echo "| 1,000,000 secrets through \`bulk_create\` < 60 s | not run: $(int "$secrets") seeded in $secs_s s (BENCH_SECRETS) | - |"
  fi
  ok=$(awk -v f="$first" -v l="$last" 'BEGIN { print (f > 0 && l <= 2 * f) }')
  echo "| last page of the secrets ≤ 2× the first (p50) | $(ms "$last") vs $(ms "$first") ($(awk -v f="$first" -v l="$last" 'BEGIN { printf "%.2f", (f > 0 ? l / f : 0) }')×) | $(mark "$ok") |"
  ok=$(awk -v x="$peak_all" 'BEGIN { print (x < 100 * 1024) }')
  echo "| peak RSS < 100 MiB (seeding and every scenario) | $(mib "$peak_all") | $(mark "$ok") |"
  echo
  render_coherence "$b" "$note"
}

# The targets of kept answers under writes, of the database path, and across processes.
render_coherence() {
  local b=$1 note=$2 r="$WORK/results-$1" ok name quiet busy p99
  echo "Kept answers under writes, the database path, two processes$note:"
  echo
  echo "| target | measured | |"
  echo "| --- | --- | --- |"
  for name in event_list event_detail; do
    quiet=$(get "$r" "$name" 2); busy=$(get "$r" "${name}_writes" 2); p99=$(get "$r" "${name}_writes" 4)
    ok=$(awk -v q="$quiet" -v w="$busy" -v p="$p99" 'BEGIN { print (q > 0 && w >= 0.9 * q && p < 20) }')
    echo "| ${name/_/ } while another organizer writes ≥ 90 % of quiet, p99 < 20 ms | $(int "$busy") of $(int "$quiet") req/s ($(pct "$busy" "$quiet")), p99 $(ms "$p99") | $(mark "$ok") |"
  done
  local target
  for name in event_list:2500 event_detail:5000; do
    target=${name#*:}; name=${name%:*}
    busy=$(get "$r" "${name}_db" 2); p99=$(get "$r" "${name}_db" 4)
    ok=$(awk -v x="$busy" -v t="$target" -v p="$p99" 'BEGIN { print (x >= t && p > 0 && p < 20) }')
    echo "| ${name/_/ }, kept answers off: ≥ $(int "$target") req/s, p99 < 20 ms | $(int "$busy") req/s, p99 $(ms "$p99") | $(mark "$ok") |"
  done
  local stale max median tries
  stale="$WORK/staleness-$b"
  if [ -s "$stale" ]; then
    read -r _ max median tries <"$stale"
    ok=$(awk -v x="$max" 'BEGIN { print (x < 100) }')
    echo "| a write through one process answered by another within 100 ms, every time | max $(ms "$max"), median $(ms "$median") over $tries tries | $(mark "$ok") |"
  fi
  if [ "$(get "$r" event_list_balanced 2)" != 0 ]; then
    echo "| event list through haproxy, two processes (no target) | $(int "$(get "$r" event_list_balanced 2)") req/s, p99 $(ms "$(get "$r" event_list_balanced 4)") | |"
  fi
  echo
  echo "Figures with \"kept answers off\" or \"every cache off\" are what the database path reaches;" \
    "every other read figure is reached with kept answers (the default)."
  echo
}

render_report() {
  echo "# Presale benchmark"
  echo
  cat "$WORK/machine"
  echo
  local b
  for b in $BACKENDS; do render_backend "$b"; done
  echo "## Ceilings (no database, no authentication)"
  echo
  echo "\`presale-bench-ceiling\` (bench/ceiling) with $WORKERS workers, answering every request with the" \
    "event list page fetched from the $(backend_title "$CEILING_PAGE_FROM") run ($(int "$(wc -c <"$WORK/page.json")") bytes)."
  echo
  echo "| ceiling | req/s | p50 | p99 | max | errors | peak RSS |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  while read -r name rps p50 p99 requests non2xx sockerr peak max; do
    echo "| $(scenario_label 0 "$name") | $(int "$rps") | $(ms "$p50") | $(ms "$p99") | $(ms "$max") | $((non2xx + sockerr)) | $(mib "$peak") |"
  done <"$WORK/ceilings"
  echo
  echo "The run took $(cat "$WORK/elapsed") s, of which $(cat "$WORK/build-seconds") s building. Load average before: $(cat "$WORK/load-before"), after: $(cut -d' ' -f1-3 /proc/loadavg)."
}
