-- A plain GET of the URL with wrk's -H headers.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
