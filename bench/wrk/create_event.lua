-- POST the URL (the events list) with a new event each time: slugs `w<thread>-<n>`, unique
-- within a run; the same meta data and plugins as the seeded events.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local n = 0
local token = os.getenv("BENCH_TOKEN")

function request()
  n = n + 1
  local slug = string.format("w%d-%d", tid or 0, n)
  local body = string.format(
    '{"name":{"en":"Workshop %s","de":"Werkstatt %s"},"slug":"%s",' ..
    '"date_from":"2031-03-01T09:00:00Z","date_to":"2031-03-01T17:00:00Z",' ..
    '"location":{"en":"Room %d"},"meta_data":{"format":"workshop","room":"B%d"},' ..
    '"plugins":["pretix.plugins.banktransfer"],"item_meta_properties":{"colour":"green"}}',
    slug, slug, slug, n % 100, n % 10)
  return wrk.format("POST", nil, {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
