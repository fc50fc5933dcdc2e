-- The serializer benchmarks of json_test.go and msgpack_test.go as
-- tarantool runs them: `tarantool serializers.lua [N]` prints ns/op per
-- case. Each case is the same loop as its Go benchmark (benchLoop): the
-- setup's globals, then `for i = 1, n do <body> end`.
local clock = require('clock')
local n = tonumber(arg[1]) or 2000000

local table_src = "{id = 1, name = 'alice', tags = {'a', 'b'}, score = 12.5, active = true}"
local cases = {
    {'JSONEncode', "json = require('json') t = " .. table_src .. " s = json.encode(t)", 'json.encode(t)'},
    {'JSONDecode', "json = require('json') t = " .. table_src .. " s = json.encode(t)", 'json.decode(s)'},
    {'JSONEncodeArray', "json = require('json')", 'json.encode({1, 2, 3})'},
    {'JSONDecodeArray', "json = require('json')", "json.decode('[1,2,3]')"},
    {'MsgpackEncode', "msgpack = require('msgpack') t = " .. table_src .. " s = msgpack.encode(t)", 'msgpack.encode(t)'},
    {'MsgpackDecode', "msgpack = require('msgpack') t = " .. table_src .. " s = msgpack.encode(t)", 'msgpack.decode(s)'},
}
local out = {}
for _, c in ipairs(cases) do
    loadstring(c[2])()
    local loop = loadstring('local n = ... for i = 1, n do ' .. c[3] .. ' end')
    loop(10000)
    local t0 = clock.monotonic()
    loop(n)
    out[#out + 1] = string.format('%s %.1f', c[1], (clock.monotonic() - t0) / n * 1e9)
end
print(table.concat(out, ' | '))
