-- GET the URL as the seeded devices, one after the other: `Authorization: Device <token>`
-- with the tokens read from the file named by BENCH_DEVICE_TOKENS (one a line).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local requests = {}
local i = 0

function init(args)
  for token in io.lines(os.getenv("BENCH_DEVICE_TOKENS")) do
    requests[#requests + 1] = wrk.format("GET", nil, { ["Authorization"] = "Device " .. token })
  end
  i = tid or 0
end

function request()
  i = i % #requests + 1
  return requests[i]
end
