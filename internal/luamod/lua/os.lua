-- os extensions (Tarantool's builtin/env.lua): os.environ() and
-- os.setenv(name, value), on top of the process environment that the Go
-- side passes as a table of KEY=value strings.
local _, helpers = ...
os.environ = function()
    local res = {}
    for _, kv in ipairs(helpers.environ()) do
        local eq = kv:find('=', 1, true)
        if eq ~= nil then
            res[kv:sub(1, eq - 1)] = kv:sub(eq + 1)
        end
    end
    return res
end
os.setenv = helpers.setenv
return os
