local json = require('json')
local vals = {
 {1,2,3}, {a=1}, {}, 1, -1, 1.5, 0.1, 1/3, 1e100, 2^53, 2^63, -2^63, 123456789012345678, 'abc',
 'a"b\\c\n\t\r\0\1\31\127/é\8\12', true, false, json.NULL, {1, json.NULL, 3}, {{}}, {a={}},
 setmetatable({}, {__serialize='map'}), {1,{2,{3}}}, 0/0, 1/0, -1/0, {[1]=1,[3]=3}, {[2]=1,[3]=2},
 {a={b={c={1,2,{d='x'}}}}}, 1e-5, 123.456, -0.5, 1e14, 1e-300, 12345678901234, 5e-324, 2^-10,
 {['1']=1}, {[-5]='neg'}, setmetatable({1,2}, {__serialize=function(t) return {x=#t} end}),
}
for i, v in ipairs(vals) do print(i, pcall(json.encode, v)) end
print(pcall(json.encode, function() end))
print(pcall(json.encode, {[true]=1}))
print(pcall(json.encode, {[1.5]=1}))
local t = {} t.t = t
print(pcall(json.encode, t))
print(pcall(json.encode))
print(json.encode(nil))
print(json.encode({1, 2}, {encode_max_depth = 1}) == nil)
print(pcall(json.encode, {{1}}, {encode_max_depth = 1}))
print(pcall(json.encode, {{1}}, {encode_max_depth = 1, encode_deep_as_nil = true}))
for _, s in ipairs({'[1,2,3]', '{"a":1}', 'null', '1.5', '"\\u0041\\u00e9\\ud83d\\ude00"', '[1,null]', '{}', '[]', '1e2', '-0', '  1 ', '[1,]', '{"a"}', '', 'nul', '"abc', '[1 2]', 'true false', '{"a":1,}', '01', '1.', '"\\x"', 'NaN', 'Infinity', '-1', '0.1', '"\t"', 'nan', 'inf', '-inf', '[\n1,\n2 x]', '"\\ud800"', '"\\u12"', '{"a":[{"b":null}]}', '{1:2}', '-', '+1', '0x10', '1e', '1e+', '.5', '"a\\/b"', '[[[[]]]]', 'tru', 'true', 'false', '123abc', '"\\b\\f\\n\\r\\t\\"\\\\"', '\0', 'a\0', '1\0junk', '1E3', '2.5e-3'}) do
  local ok, r = pcall(json.decode, s)
  if ok and type(r) == 'table' then
    local mt = getmetatable(r)
    print(s, ok, json.encode(r), mt and mt.__serialize)
  else
    print(s, ok, type(r) == 'number' and json.encode(r) or r, type(r) == 'cdata' and 'userdata' or type(r))
  end
end
print(pcall(json.decode, 1))
print(pcall(json.decode))
print(pcall(json.decode, string.rep('[', 200)))
print(json.decode('[' .. string.rep('[', 127) .. string.rep(']', 128))[1] ~= nil)
print(json.null == json.NULL, json.cfg.encode_max_depth, json.cfg.encode_invalid_numbers)
json.cfg{encode_invalid_numbers = false}
print(pcall(json.encode, 0/0))
json.cfg{encode_invalid_numbers = true}
print(json.cfg.encode_invalid_numbers)
print(json.decode('[1]', {decode_save_metatables = false}) and getmetatable(json.decode('[1]', {decode_save_metatables = false})))
