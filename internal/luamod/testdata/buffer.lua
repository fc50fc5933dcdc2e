-- buffer: ibuf objects, their capacities (Tarantool's slab sizes), errors,
-- and msgpack over ibufs and char pointers.
local buffer = require('buffer')
local ffi = require('ffi')
local msgpack = require('msgpack')

local keys = {}
for k, v in pairs(buffer) do keys[#keys + 1] = k .. ' ' .. type(v) end
table.sort(keys)
print(table.concat(keys, ', '))
print(buffer.READAHEAD, buffer.IBUF_SHARED, type(buffer.IBUF_SHARED), ffi.typeof(buffer.IBUF_SHARED))

local b = buffer.ibuf()
print(tostring(b), ffi.typeof(b), b:capacity(), b:size(), b:unused(), b:pos(), b.buf, b.rpos, b.wpos, b.epos)
print(b:reserve(1) == b.wpos, b:capacity(), b:size(), b:unused())
local p = b:alloc(10)
print(p == b.rpos, ffi.typeof(p), b:capacity(), b:size(), b:unused())
b:reserve(20000) print(b:capacity(), b:size(), b:unused())
b:reserve(100000) print(b:capacity(), b:size(), b:unused())
b:reserve(10000000) print(b:capacity(), b:size(), b:unused())
print(b:checksize(10) == b.rpos, pcall(b.checksize, b, 11))
print(b:read(4) + 4 == b.rpos, b:size(), b:pos())
print(pcall(b.read, b, 100))
b:reset() print(b:size(), b:pos(), b:capacity())
b:recycle() print(b:capacity(), b.buf)

for _, n in ipairs({0, 1, 100, 16320, 16336, 16337, 65536, 4096 * 1024 - 48, 4096 * 1024 - 47, 3000000, 5000000}) do
    print(n, buffer.ibuf(n):capacity())
end

-- Data moves to the front when that makes room.
local c = buffer.ibuf()
c:alloc(100) c:read(90)
c:reserve(16300) print(c:capacity(), c:size(), c:pos())
c:reserve(16330) print(c:capacity(), c:size(), c:pos())

print(pcall(buffer.ibuf, 'x'))
print(pcall(b.size, 1))
print(pcall(b.size))
print(pcall(b.capacity, {}))
print(pcall(b.alloc))
print(buffer.IBUF_SHARED:size(), buffer.IBUF_SHARED:capacity())

-- Writing and reading bytes.
local d = buffer.ibuf()
ffi.copy(d:alloc(5), 'hello', 5)
ffi.copy(d:alloc(6), ' world', 6)
print(ffi.string(d.rpos, d:size()), ffi.string(d:read(5), 5), d:size())

-- static_alloc and the registers.
print(ffi.typeof(buffer.static_alloc('int', 10)), ffi.typeof(buffer.static_alloc('char', 20000)),
      ffi.typeof(buffer.static_alloc('double')), ffi.typeof(buffer.static_alloc('struct ibuf')))
local s1 = buffer.static_alloc('int', 4)
s1[0], s1[3] = 7, 9
print(s1[0], s1[3], ffi.cast('uintptr_t', s1) % ffi.alignof('int'))
print(ffi.typeof(buffer.reg1), ffi.typeof(buffer.reg_array), ffi.sizeof(buffer.reg1), ffi.sizeof('union c_register'))
buffer.reg1.u64 = 5 buffer.reg2.ai[0] = 6
print(buffer.reg1.u64, buffer.reg_array[1].ai[0])
print(ffi.sizeof('struct ibuf'), ffi.offsetof('struct ibuf', 'rpos'), ffi.offsetof('struct ibuf', 'start_capacity'))

-- msgpack into an ibuf and back from its pointers.
local m = buffer.ibuf()
print(msgpack.encode(1, m), m:size())
print(msgpack.encode({1, 2, 3}, m), m:size())
print(msgpack.encode('x', ffi.cast('struct ibuf *', m)), m:size())
local v, np = msgpack.decode(m.rpos, m:size())
print(v, ffi.typeof(np), np - m.rpos)
v, np = msgpack.decode(np, m.wpos - np)
print(#v, v[3], np - m.rpos)
v, np = msgpack.decode_unchecked(np)
print(v, np == m.wpos)
v, np = msgpack.decode(ffi.cast('const char *', m.rpos), 1)
print(v, ffi.typeof(np))
local np2, v2 = msgpack.ibuf_decode(m.rpos + 1)
print(v2[1], np2 - m.rpos, ffi.typeof(np2))
print(pcall(msgpack.encode, 1, 'x'))
print(pcall(msgpack.encode, 1, ffi.new('struct ibuf *')))
print(pcall(msgpack.encode, 1, nil))
print(pcall(msgpack.encode, 1, 2))
print(pcall(msgpack.encode, 1, buffer.IBUF_SHARED), buffer.IBUF_SHARED:size())
buffer.IBUF_SHARED:recycle()
print(pcall(msgpack.encode))
local q = ffi.cast('char *', m.rpos)
print(pcall(msgpack.decode, q, 0))
print(pcall(msgpack.decode, q, -1))
print(pcall(msgpack.decode, q))
print(pcall(msgpack.decode, ffi.cast('unsigned char *', m.rpos), 5))
print(pcall(msgpack.decode, ffi.cast('int *', m.rpos), 5))
print(pcall(msgpack.decode, 5))
print(pcall(msgpack.decode, m.rpos + 1, 3))
print(select('#', msgpack.decode_array_header(m.rpos + 1, 4)), (msgpack.decode_array_header(m.rpos + 1, 4)))
print(pcall(msgpack.decode_array_header, m.rpos + 1, 0))
print(pcall(msgpack.decode_array_header, m.rpos + 1))
print(pcall(msgpack.decode_array_header, m.rpos, 4))
print(pcall(msgpack.decode_array_header, 'abc', 4))
print(pcall(msgpack.decode_map_header, m.rpos + 1, 4))
local n, hp = msgpack.decode_map_header(ffi.cast('char *', '\x81\1\2'), 3) print(n, ffi.typeof(hp))
print(pcall(msgpack.decode_map_header, ffi.cast('char *', '\xde\0'), 2))
local function header(f, s, size)
    local p = ffi.cast('const char *', s)
    local len, np = f(p, size)
    print(len, ffi.typeof(np), np - p)
end
header(msgpack.decode_map_header, '\xde\1\0', 3)
header(msgpack.decode_array_header, '\xdc\0\1', 3)
header(msgpack.decode_array_header, '\xdd\0\1\0\0', 5)
print(pcall(msgpack.decode_array_header, ffi.cast('char *', '\xdd\0\1\0\0'), 4))
