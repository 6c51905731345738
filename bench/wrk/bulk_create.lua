-- POST the URL (an event's imported_secrets/bulk_create/) with 500 new secrets each time:
-- `w<thread>-<request>-<i>`, unique within a run.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local n = 0
local token = os.getenv("BENCH_TOKEN")
local parts = {}

function request()
  n = n + 1
  local prefix = string.format('{"secret":"w%d-%d-', tid or 0, n)
  for i = 1, 500 do
    parts[i] = prefix .. i .. '"}'
  end
  return wrk.format("POST", nil, {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
  }, "[" .. table.concat(parts, ",") .. "]")
end
