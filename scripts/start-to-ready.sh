#!/usr/bin/env bash
# Milliseconds from exec of `presale serve --ephemeral [ARGS]` to the first 200 on /readyz,
# 10 runs and their median. Usage: scripts/start-to-ready.sh [BINARY] [ARGS...]
#   scripts/start-to-ready.sh target/release/presale --seed docs/examples/ci-seed.yaml
set -euo pipefail
bin=${1:-target/release/presale}
shift || true
times=()
for i in $(seq 1 10); do
  port=$((18400 + i))
  start=$(date +%s%N)
  RUST_LOG=warn "$bin" serve --ephemeral --bind "127.0.0.1:$port" "$@" 2>/dev/null &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.002; done
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  kill -TERM "$pid"
  wait "$pid"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "runs (ms): ${times[*]}"
echo "median (ms): $(( (sorted[4] + sorted[5]) / 2 ))"
