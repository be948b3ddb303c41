-- wrk script for benchmarks/api_booking.py: each request books a random slot for a random member.
-- Arguments: the tokens file, the slots file (one per line) and a seed.

local threads = {}

function setup(thread)
    thread:set("number", #threads + 1)
    table.insert(threads, thread)
end

local function lines(path)
    local found = {}
    for line in io.lines(path) do
        found[#found + 1] = line
    end
    return found
end

function init(args)
    tokens, slots = lines(args[1]), lines(args[2])
    math.randomseed(tonumber(args[3]) * 100 + number)
end

function request()
    local body = '{"kind": "slot", "item": "' .. slots[math.random(#slots)] .. '"}'
    local headers = {
        ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
        ["Content-Type"] = "application/json",
    }
    return wrk.format("POST", "/api/v1/bookings", headers, body)
end

-- Lines "name value" for the Python side. No response() callback: with one, wrk would hand every
-- response to Lua, and the clients would take more of the CPU the server needs; wrk counts the
-- responses with a status of 400 or more by itself.
function done(summary, latency, requests)
    io.write(string.format("requests %d\nseconds %f\n", summary.requests, summary.duration / 1e6))
    io.write(string.format("refused %d\n", summary.errors.status))
    for _, share in ipairs({50, 95, 99}) do
        io.write(string.format("p%d_ms %f\n", share, latency:percentile(share) / 1000))
    end
end
