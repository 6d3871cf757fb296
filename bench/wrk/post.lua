-- wrk script for POST /api/v1/statuses: a new public post with a hashtag each time.
-- The bearer token comes on the command line (-H "Authorization: Bearer …").
-- Posting writes to the database: the benchmark runs it on a copy of the seed, last.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"status":"Load test post %d %d: the build is green again #benchmark","visibility":"public"}',
    n, math.random(1000000))
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50=%.0f p90=%.0f p99=%.0f max=%.0f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
