-- wrk script: replay the requests listed in a file, in turn, as many logged-in browsers.
--
--   wrk ... -s bench/requests.lua URL -- REQUESTS_FILE [once]
--
-- Each line of REQUESTS_FILE is tab-separated: method, path, cookie header, CSRF token,
-- "htmx" or empty, url-encoded body. With "once", wrk stops after one pass (a request that
-- changes state, like submitting an attempt, is sent once; up to one extra per connection
-- may be in flight when it stops). Prints one line "BENCH {json}" at the end.

local requests = {}
local once = false
local answered = 0
statuses = {}

function init(args)
   for line in io.lines(args[1]) do
      local method, path, cookie, csrf, htmx, body =
         line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if method == "POST" then
         headers["Content-Type"] = "application/x-www-form-urlencoded"
         headers["X-CSRFToken"] = csrf
      end
      if htmx ~= "" then headers["HX-Request"] = "true" end
      requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
   end
   once = args[2] == "once"
end

local index = 0
function request()
   index = index % #requests + 1
   return requests[index]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   answered = answered + 1
   if once and answered >= #requests then wrk.thread:stop() end
end

local threads = {}
function setup(thread)
   threads[#threads + 1] = thread
end

function done(summary, latency, _)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[#counts + 1] = string.format('"%d": %d', status, count)
      end
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"socket_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      errors.connect + errors.read + errors.write, errors.timeout, table.concat(counts, ", ")))
end
