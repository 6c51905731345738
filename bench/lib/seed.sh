# Seeding through the API (sourced by bench/run.sh). Every function uses $API (the server's
# http://host:port), $ORG, $TOKEN and $WORK, and appends "key value" lines to $SEED.

# curl_clients NAME CLIENTS: runs the requests of $WORK/NAME/client*.cfg, one curl process per
# client (its requests one after the other on one kept-alive connection), all at once; each
# request writes its status to $WORK/NAME/statuses. Fails unless every status is EXPECTED.
curl_clients() {
  local name=$1 expected=$2 pids=() config
  for config in "$WORK/$name"/client*.cfg; do
    curl -s -K "$config" >>"$WORK/$name/statuses" &
    pids+=($!)
  done
  local pid failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || die "$name: a curl client failed"
  local total bad
  total=$(wc -l <"$WORK/$name/statuses")
  bad=$(grep -vc "^$expected\$" "$WORK/$name/statuses" || true)
  if [ "$bad" -ne 0 ]; then
    sort "$WORK/$name/statuses" | uniq -c >&2
    die "$name: $bad of $total requests did not answer $expected"
  fi
}

# write_configs NAME URL CLIENTS [headers...]: deals the bodies $WORK/NAME/bodies/* round-robin
# to CLIENTS curl configurations, each request POSTing one body to URL; responses go to
# $WORK/NAME/out/<body name>.
write_configs() {
  local name=$1 url=$2 clients=$3; shift 3
  mkdir -p "$WORK/$name/out"
  : >"$WORK/$name/statuses"
  ls "$WORK/$name/bodies" | awk -v dir="$WORK/$name" -v url="$url" -v clients="$clients" \
      -v headers="$(printf '%s\n' "$@")" '
    BEGIN { nh = split(headers, h, "\n") }
    {
      c = sprintf("%s/client%d.cfg", dir, (NR - 1) % clients)
      if (NR > clients) printf "next\n" > c
      printf "url = \"%s\"\n", url > c
      for (i = 1; i <= nh; i++) if (h[i] != "") printf "header = \"%s\"\n", h[i] > c
      printf "data-binary = \"@%s/bodies/%s\"\noutput = \"%s/out/%s\"\n", dir, $0, dir, $0 > c
      printf "write-out = \"%%{http_code}\\n\"\n" > c
    }'
}

api() {  # api METHOD PATH [BODY]: one JSON request with the organizer token; fails unless 2xx
  local method=$1 path=$2 body=${3:-}
  if [ -n "$body" ]; then
    curl -fsS -X "$method" -H "Authorization: Token $TOKEN" -H "Content-Type: application/json" \
      --data-binary "$body" "$API$path"
  else
    curl -fsS -X "$method" -H "Authorization: Token $TOKEN" "$API$path"
  fi
}

# The organizer's plugins and meta properties, which the events use (bank transfer is a hybrid
# plugin: the organizer enables it before its events may).
seed_organizer() {
  api PATCH "/api/v1/organizers/$ORG/" \
    '{"plugins":["pretix.plugins.banktransfer"]}' >/dev/null
  api POST "/api/v1/organizers/$ORG/meta_properties/" \
    '{"name":"format","default":"talk","allowed_values":["talk","workshop","concert"]}' >/dev/null
  api POST "/api/v1/organizers/$ORG/meta_properties/" \
    '{"name":"room","default":"","allowed_values":null}' >/dev/null
}

# seed_events N: events event0001 .. eventN with two languages, a location, meta data and two
# plugins, through 4 clients; then the events `festival` (the imported secrets) and `bulk` (the
# bulk_create scenario).
seed_events() {
  local n=$1 start
  mkdir -p "$WORK/events/bodies"
  awk -v n="$n" -v dir="$WORK/events/bodies" 'BEGIN {
    formats[0] = "talk"; formats[1] = "workshop"; formats[2] = "concert"
    for (i = 1; i <= n; i++) {
      file = sprintf("%s/%05d.json", dir, i)
      printf "{\"name\":{\"en\":\"Event %04d\",\"de\":\"Veranstaltung %04d\"},\"slug\":\"event%04d\",", i, i, i > file
      printf "\"date_from\":\"2030-%02d-%02dT10:00:00Z\",\"date_to\":\"2030-%02d-%02dT18:00:00Z\",", i % 12 + 1, i % 28 + 1, i % 12 + 1, i % 28 + 1 > file
      printf "\"location\":{\"en\":\"Hall %d\",\"de\":\"Halle %d\"},\"geo_lat\":52.52,\"geo_lon\":13.405,", i % 20, i % 20 > file
      printf "\"meta_data\":{\"format\":\"%s\",\"room\":\"R%d\"},", formats[i % 3], i % 50 > file
      printf "\"plugins\":[\"pretix.plugins.banktransfer\",\"pretix.plugins.paypal\"],\"item_meta_properties\":{\"colour\":\"red\"}}" > file
      close(file)
    }
  }'
  write_configs events "$API/api/v1/organizers/$ORG/events/" 4 \
    "Authorization: Token $TOKEN" "Content-Type: application/json"
  start=$(now)
  curl_clients events 201
  echo "events $n $(since "$start")" >>"$SEED"
  for slug in festival bulk; do
    api POST "/api/v1/organizers/$ORG/events/" \
      "{\"name\":{\"en\":\"$slug\"},\"slug\":\"$slug\",\"date_from\":\"2030-07-01T10:00:00Z\"}" >/dev/null
  done
}

# seed_secrets N: N secrets into `festival` through bulk_create, 500 per request, 4 clients on
# kept-alive connections (as bench/secrets.sh); the seconds it took are the 1M figure.
seed_secrets() {
  local n=$1 start
  [ $((n % 500)) -eq 0 ] || die "BENCH_SECRETS must be a multiple of 500"
  mkdir -p "$WORK/secrets/bodies"
  awk -v n="$n" -v dir="$WORK/secrets/bodies" 'BEGIN {
    for (f = 0; f < n / 500; f++) {
      file = sprintf("%s/%05d.json", dir, f)
      printf "[" > file
      for (i = 0; i < 500; i++) printf "%s{\"secret\":\"fest-%09d\"}", (i ? "," : ""), f * 500 + i > file
      printf "]" > file
      close(file)
    }
  }'
  write_configs secrets "$API/api/v1/organizers/$ORG/events/festival/imported_secrets/bulk_create/" 4 \
    "Authorization: Token $TOKEN" "Content-Type: application/json"
  start=$(now)
  curl_clients secrets 201
  echo "secrets $n $(since "$start")" >>"$SEED"
  rm -rf "$WORK/secrets"
}

# seed_devices N: N devices for all events, created by the organizer API, then initialised as
# a scanner app does; their API tokens go to $WORK/device-tokens, one a line.
seed_devices() {
  local n=$1 start
  mkdir -p "$WORK/devices/bodies"
  start=$(now)
  for i in $(seq -w 1 "$n"); do
    printf '{"name":"Scanner %s","all_events":true,"limit_events":[]}' "$i" >"$WORK/devices/bodies/$i.json"
  done
  write_configs devices "$API/api/v1/organizers/$ORG/devices/" 1 \
    "Authorization: Token $TOKEN" "Content-Type: application/json"
  curl_clients devices 201
  mkdir -p "$WORK/init/bodies"
  for f in "$WORK/devices/out"/*; do
    jq -c '{token: .initialization_token, hardware_brand: "Zebra", hardware_model: "TC25",
            os_name: "Android", os_version: "8.1.0", software_brand: "pretixSCAN",
            software_version: "1.5.1"}' "$f" >"$WORK/init/bodies/$(basename "$f")"
  done
  write_configs init "$API/api/v1/device/initialize" 1 "Content-Type: application/json"
  curl_clients init 200
  cat "$WORK/init/out"/* | jq -r .api_token >"$WORK/device-tokens"
  [ "$(grep -c . "$WORK/device-tokens")" -eq "$n" ] || die "expected $n device tokens"
  echo "devices $n $(since "$start")" >>"$SEED"
}
