-- wrk script for GET endpoints: only reports, as one machine-readable line that
-- bench/scale/run.rs parses. Latencies are in microseconds.
-- errors.status counts responses with a status of 400 or more.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50=%.0f p90=%.0f p99=%.0f max=%.0f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
