-- wrk script for bench/run: one fixed request, sent over and over on every connection.
--   wrk ... -s bench/request.lua URL -- METHOD BODY_FILE|- "Header: value" ...
-- At the end it prints one line, "BENCH {json}", that bench/bench.py reads.
--
-- With BENCH_PACE_MS set, each connection waits a random 0 to 2 x BENCH_PACE_MS milliseconds
-- (whole ms, mean BENCH_PACE_MS) after each response before it sends the next request: a fixed
-- offered load, below saturation, at which latency says what the server adds rather than how
-- long the queue of 64 in-flight requests is. Random, so the connections do not fall into step.
local pace_ms = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace_ms then
  math.randomseed(os.time())
  function delay()
    return math.random(0, 2 * pace_ms)
  end
end

function init(args)
  wrk.method = args[1] or "GET"
  local path = args[2]
  if path and path ~= "-" then
    local f = assert(io.open(path, "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
