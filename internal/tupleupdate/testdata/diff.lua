-- Differential oracle for tupleupdate: reads cases from the file named
-- by arg[1] (starting at line arg[2], default 1), one per line: "<u|s> <tuple hex> <ops hex>", runs each
-- through Tarantool's own box_tuple_update / box_tuple_upsert (index
-- base 1) on a tuple whose format has field names a, b, c, d (fields
-- 1..4), and prints one line per case: "OK <result hex>" or
-- "ERR <code> <message>".
local ffi = require('ffi')
ffi.cdef[[
typedef struct tuple box_tuple_t;
typedef struct tuple_format box_tuple_format_t;
box_tuple_t *box_tuple_new(box_tuple_format_t *format, const char *data, const char *end);
box_tuple_t *box_tuple_update(box_tuple_t *tuple, const char *expr, const char *expr_end);
box_tuple_t *box_tuple_upsert(box_tuple_t *tuple, const char *expr, const char *expr_end);
size_t box_tuple_bsize(box_tuple_t *tuple);
ssize_t box_tuple_to_buf(box_tuple_t *tuple, char *buf, size_t size);
int box_tuple_ref(box_tuple_t *tuple);
void box_tuple_unref(box_tuple_t *tuple);
]]
local fmt = box.internal.new_tuple_format({{name = 'a'}, {name = 'b'}, {name = 'c'}, {name = 'd'}})
local pfmt = ffi.cast('box_tuple_format_t *', fmt)

local function unhex(s)
    return (s:gsub('..', function(c) return string.char(tonumber(c, 16)) end))
end
local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function errline()
    local e = box.error.last()
    return string.format('ERR %d %s', e.code, (e.message:gsub('\n', '\\n')))
end

-- Results are flushed one by one: some inputs crash Tarantool 2.6 itself
-- (e.g. a JSON path below a field replaced by '='), and the caller
-- restarts after the case that crashed.
local skip = tonumber(arg[2] or '1') - 1
for line in io.lines(arg[1]) do
  if skip > 0 then
    skip = skip - 1
  else
    local mode, th, oh = line:match('^(%a) (%x*) (%x*)$')
    local t, o = unhex(th), unhex(oh)
    local tbuf = ffi.new('char[?]', #t + 1, t)
    local obuf = ffi.new('char[?]', #o + 1, o)
    local tuple = ffi.C.box_tuple_new(pfmt, tbuf, tbuf + #t)
    local res
    if tuple == nil then
        res = errline()
    else
        ffi.C.box_tuple_ref(tuple)
        local r
        if mode == 'u' then
            r = ffi.C.box_tuple_update(tuple, obuf, obuf + #o)
        else
            r = ffi.C.box_tuple_upsert(tuple, obuf, obuf + #o)
        end
        if r == nil then
            res = errline()
        else
            local n = tonumber(ffi.C.box_tuple_bsize(r))
            local buf = ffi.new('char[?]', n)
            ffi.C.box_tuple_to_buf(r, buf, n)
            res = 'OK ' .. hex(ffi.string(buf, n))
        end
        ffi.C.box_tuple_unref(tuple)
    end
    io.stdout:write(res, '\n')
    io.stdout:flush()
  end
end
os.exit(0)
