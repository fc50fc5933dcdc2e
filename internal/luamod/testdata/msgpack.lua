local msgpack = require('msgpack')
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
local cases = {
 {1}, {[1]=1,[3]=3}, {[1]=1,[2]=2,[4]=4}, {[1]=1,[5]=5}, {[2]=2}, {[1]=1,[10]=10}, {a=2}, {}, {[0]=1}, {[-1]=1},
 setmetatable({}, {__serialize='map'}), setmetatable({a=1}, {__serialize='seq'}),
 setmetatable({}, {__serialize=function(t) return {5} end}), setmetatable({}, {__serialize='foo'}),
 1, -1, 0, 1.5, -0.0, 2^63, 2^64, -2^63, 1e300, 1/0, 4294967296, -2147483649, 255, 256, -32, -33, 'abc', true, msgpack.NULL,
}
for i, c in ipairs(cases) do
  local ok, r = pcall(msgpack.encode, c)
  print(i, ok, ok and hex(r) or r)
end
print(pcall(msgpack.encode, function() end))
local t = {} t.t = t
print(pcall(msgpack.encode, t))
print(msgpack.NULL, tostring(msgpack.decode(msgpack.encode(nil))))
print(getmetatable(msgpack.decode(msgpack.encode({}))).__serialize, getmetatable(msgpack.decode('\128')).__serialize, hex(msgpack.encode((msgpack.decode('\128')))))
local d = msgpack.decode('\146\192\1')
print(#d, d[1], d[2], d[1] == msgpack.NULL)
print(pcall(msgpack.decode, '\212\5\1'))
print(pcall(msgpack.decode, '\146\1'))
print(pcall(msgpack.decode, ''))
print(msgpack.decode('\1\2', 2))
print(msgpack.decode_unchecked('\1\2'))
print(msgpack.decode('\196\3abc'))
print(msgpack.decode('\202\63\128\0\0'))
local arr = msgpack.decode(msgpack.encode({1, 2, {3}}))
print(require('json').encode(arr), getmetatable(arr).__serialize, getmetatable(arr[3]).__serialize)
print(require('json').encode((msgpack.decode(msgpack.encode({a = {1, msgpack.NULL}})))))
