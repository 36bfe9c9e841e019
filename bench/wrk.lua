-- One page of the benchmark: random paths from $BENCH_PATHS, the session cookie from
-- $BENCH_COOKIE; at the end one JSON line with the figures (milliseconds).
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local cookie = os.getenv("BENCH_COOKIE")

setup = function(thread)
  thread:set("seed", math.random(1, 1000000))
end

init = function()
  math.randomseed(seed or 1)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)], { ["Cookie"] = cookie })
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"p50":%.2f,"p95":%.2f,"p99":%.2f,"max":%.2f,"errors":%d}\n',
    summary.requests, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
