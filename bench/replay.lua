-- wrk script: replays one pre-signed request read from the file named by the
-- REPLAY environment variable (METHOD\nPATH\nName: value...\n\nBODY) and
-- prints a JSON summary line at the end.
local f = assert(io.open(os.getenv("REPLAY"), "rb"))
local text = f:read("*a")
f:close()

local head, body = text:match("^(.-)\n\n(.*)$")
local lines = {}
for line in head:gmatch("[^\n]+") do lines[#lines + 1] = line end
wrk.method = lines[1]
wrk.path = lines[2]
wrk.headers = {}
for i = 3, #lines do
  local k, v = lines[i]:match("^([^:]+): (.*)$")
  wrk.headers[k] = v
end
wrk.body = body

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
