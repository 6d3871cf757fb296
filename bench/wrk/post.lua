-- wrk script for POST /api/v1/statuses: a new public post with a hashtag each time.
-- The bearer token comes on the command line (-H "Authorization: Bearer …").
-- Posting writes to the database: the benchmark runs it on a copy of the seed, last.
-- Besides wrk's own counts it reports how many answers were 4xx and 5xx (the response
-- callback costs wrk some speed, which does not matter at the rates posting reaches).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  client_errors = 0
  server_errors = 0
end

function request()
  n = n + 1
  local body = string.format(
    '{"status":"Load test post %d %d: the build is green again #benchmark","visibility":"public"}',
    n, math.random(1000000))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  elseif status >= 400 then
    client_errors = client_errors + 1
  end
end

function done(summary, latency, requests)
  local c4, c5 = 0, 0
  for _, t in ipairs(threads) do
    c4 = c4 + t:get("client_errors")
    c5 = c5 + t:get("server_errors")
  end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50=%.0f p90=%.0f p99=%.0f max=%.0f 4xx=%d 5xx=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, c4, c5))
end
