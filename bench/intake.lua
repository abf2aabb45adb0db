-- intake.lua: wrk script of bench/intake.
--
--   wrk ... -s intake.lua URL -- TOKEN REQUESTS.lua
--
-- POST /v1/alerts with the bearer token, cycling through the request bodies
-- of REQUESTS.lua (intake_helper.py), each thread from its own offset; the
-- requests are formatted in init(). response() counts the answers that are
-- not 202 (4xx: refused; 5xx: unavailable, such as 503 when Kafka did not
-- acknowledge in time). done() prints one "key value" per line.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   non202, refused, unavailable = 0, 0, 0
   reqs = {}
   for _, r in ipairs(dofile(args[2])) do
      reqs[#reqs + 1] = wrk.format("POST", "/v1/alerts", {
         ["Content-Type"] = "application/json",
         ["Authorization"] = "Bearer " .. args[1],
      }, r.body)
   end
   i = (id * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end

function response(status, headers, body)
   if status ~= 202 then
      non202 = non202 + 1
      if status >= 500 then
         unavailable = unavailable + 1
      elseif status >= 400 then
         refused = refused + 1
      end
   end
end

function done(summary, latency, requests)
   local bad, refused, unavailable = 0, 0, 0
   for _, t in ipairs(threads) do
      bad = bad + t:get("non202")
      refused = refused + t:get("refused")
      unavailable = unavailable + t:get("unavailable")
   end
   local e = summary.errors
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("duration_us %d\n", summary.duration))
   io.write(string.format("non202 %d\n", bad))
   io.write(string.format("refused %d\n", refused))
   io.write(string.format("unavailable %d\n", unavailable))
   io.write(string.format("socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
   io.write(string.format("p50_ms %.2f\n", latency:percentile(50) / 1000))
   io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
end
