-- wrk script: cycle through the request paths in the file named by the first argument
-- (one per line) and print the summary as one JSON line. Used by bench/common.py.
-- Each thread takes its own share (thread k of n: paths k+1, k+1+n, ...), so no path is asked
-- twice until every one has been asked once: with a shared sequence every thread asked the
-- same paths, and an "uncached" path came a second time, from the cache.
local paths = {}
local index = 0
local threads = 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  index = id or 0
  step = tonumber(args[2]) or 1
end

request = function()
  local path = paths[index % #paths + 1]
  index = index + step
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "rps": %.1f, "p50": %.2f, "p95": %.2f, "p99": %.2f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
