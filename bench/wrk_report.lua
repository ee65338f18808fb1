-- wrk script for bench/bench_api_load.py: pages through the whole KPI list, the way a client
-- reading all 2,000 KPIs does (the API gives at most 1,000 per page), and prints one line
-- the bench parses. Arguments after `--`: the pages' paths; `uncached`, to make every
-- request's query unique (a parameter the API ignores) so that no remembered answer serves
-- it; and a bearer token, if any.
--   wrk -t2 -c8 -d8s --latency -s bench/wrk_report.lua http://127.0.0.1:PORT -- /a /b [uncached] [TOKEN]

local paths = {}
local headers = {}
local uncached = false
local sent = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  for _, arg in ipairs(args) do
    if string.sub(arg, 1, 1) == "/" then
      table.insert(paths, arg)
    elseif arg == "uncached" then
      uncached = true
    else
      headers["Authorization"] = "Bearer " .. arg
    end
  end
  if #paths == 0 then
    error("wrk_report.lua: give the paths to load after --, such as -- /api/v1/kpis")
  end
end

-- one Lua state per wrk thread: its connections take the pages in turn, so each page gets
-- half the requests
function request()
  sent = sent + 1
  local path = paths[(sent % #paths) + 1]
  if uncached then
    path = path .. "&bench_request=" .. thread_number .. "-" .. sent
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "CITYSTAT requests=%d seconds=%.3f rps=%.2f p50_ms=%.1f p95_ms=%.1f max_ms=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
