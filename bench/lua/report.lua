-- The result of a wrk run as one JSON line, easier to read than wrk's text summary.
-- Other scripts load it with dofile and install its setup and done hooks. Each wrk
-- thread may keep a global table `statuses` (status code -> count); done() adds them up.
local report = {}
local threads = {}

function report.setup(thread)
  table.insert(threads, thread)
end

local function statuses()
  local total = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    if type(counted) == "table" then
      for status, count in pairs(counted) do
        total[status] = (total[status] or 0) + count
      end
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%s":%d', tostring(status), count))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function report.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, statuses()))
end

return report
