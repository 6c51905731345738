-- Shared by every scenario: numbers each thread (for unique slugs and secrets) and prints one
-- machine-readable line at the end, read by bench/lib/common.sh:
--   BENCH <requests/s> <p50 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors> <max ms>
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %.1f %.3f %.3f %d %d %d %.3f\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, latency.max / 1000))
end
