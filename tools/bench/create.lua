-- wrk script: POST /api/v1/task creates, one serial per request, the serials
-- taken in turn from sim-0001..sim-<DEVICES> (env TMX_BENCH_DEVICES).
local devices = tonumber(os.getenv("TMX_BENCH_DEVICES") or "8")
local counter = 0

request = function()
  counter = counter + 1
  local serial = string.format("sim-%04d", (counter % devices) + 1)
  local body = '{"serials":["' .. serial .. '"],"script_name":"post",'
    .. '"script_config":{"material_list":["/v/bench.mp4"],'
    .. '"captions":"bench #' .. counter .. '"}}'
  return wrk.format("POST", "/api/v1/task",
    {["Content-Type"] = "application/json"}, body)
end

local failures = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"code":0', 1, true) then
    failures = failures + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("creates/s %.0f\n",
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f p99_ms %.2f max_ms %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
  io.write(string.format("non_2xx_or_errors %d\n",
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
