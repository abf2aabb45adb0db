-- gateway.lua: wrk script of bench/gateway and bench/intake.
--
--   wrk ... -s gateway.lua URL -- healthz
--   wrk ... -s gateway.lua URL -- signed REQUESTS.lua
--   wrk ... -s gateway.lua URL -- intake REQUESTS.lua TOKEN
--
-- healthz: GET /healthz. signed: POST /slack/events, cycling through the
-- pre-signed requests of REQUESTS.lua (gateway_helper.py). intake: POST
-- /v1/alerts with the bearer token, cycling through the bodies of
-- REQUESTS.lua (intake_helper.py); 202 is its success. Each thread starts
-- from its own offset. Every mode pre-formats its requests in init() and
-- counts the answers that are not its success in response() (4xx:
-- refused, such as a bad signature; 5xx: unavailable, such as 503 when
-- Kafka did not acknowledge in time), so the client does the same work per
-- request in each. done() prints one "key value" per line.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   not_ok, refused, unavailable = 0, 0, 0
   ok = args[1] == "intake" and 202 or 200
   reqs = {}
   if args[1] == "intake" then
      for _, r in ipairs(dofile(args[2])) do
         reqs[#reqs + 1] = wrk.format("POST", "/v1/alerts", {
            ["Content-Type"] = "application/json",
            ["Authorization"] = "Bearer " .. args[3],
         }, r.body)
      end
   elseif args[1] == "signed" then
      for _, r in ipairs(dofile(args[2])) do
         reqs[#reqs + 1] = wrk.format("POST", "/slack/events", {
            ["Content-Type"] = "application/json",
            ["X-Slack-Request-Timestamp"] = r.ts,
            ["X-Slack-Signature"] = r.sig,
         }, r.body)
      end
   else
      reqs[1] = wrk.format("GET", "/healthz")
   end
   -- threads start at different requests, so they do not send the same
   -- event at the same moment
   i = (id * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end

function response(status, headers, body)
   if status ~= ok then
      not_ok = not_ok + 1
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
      bad = bad + t:get("not_ok")
      refused = refused + t:get("refused")
      unavailable = unavailable + t:get("unavailable")
   end
   local e = summary.errors
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("duration_us %d\n", summary.duration))
   io.write(string.format("not_ok %d\n", bad))
   io.write(string.format("refused %d\n", refused))
   io.write(string.format("unavailable %d\n", unavailable))
   io.write(string.format("socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
   io.write(string.format("p50_ms %.2f\n", latency:percentile(50) / 1000))
   io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
end
