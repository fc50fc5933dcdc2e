-- require('tap') (2.6 builtin/tap.lua): a producer of the Test Anything
-- Protocol, version 13.
--
--   local test = require('tap').test('name')  -- prints 'TAP version 13'
--   test:plan(n)                               -- prints '1..n'
--   test:ok(cond, msg[, extra])                -- 'ok - msg' / 'not ok - msg'
--   test:is(got, expected, msg) ... test:check()
--
-- Subtests, test:test(name, fn, ...), print indented by four spaces per
-- level and report to their parent as one assertion. A failed assertion
-- prints its details (got/expected, the Lua stack in 'trace', ...) as a
-- YAML document indented under the 'not ok' line.
--
-- Frames and levels follow Tarantool's code: assertions tail-call ok(),
-- so that the trace starts at the test script's frame, and the functions
-- a trace can show (test, check) are defined on the same lines as in
-- Tarantool 2.6, so failure reports read the same.

local ffi = require('ffi')

-- NULL is box.NULL's value: an expected key holding it need not be
-- present in got.
local NULL = ffi.cast('void *', 0)

-- The YAML encoder of failure details is made on the first failure, with
-- options under which it encodes any Lua value.
local yaml_encoder

local function yaml()
    if yaml_encoder == nil then
        local y = require('yaml').new()
        y.cfg({
            encode_invalid_numbers = true,
            encode_load_metatables = true,
            encode_use_tostring = true,
            encode_invalid_as_nil = true,
        })
        yaml_encoder = y
    end
    return yaml_encoder
end

local function indent(test, extra)
    return string.rep(' ', 4 * test.level + (extra or 0))
end

-- traceback lists the frames from level (3: the caller of the assertion's
-- caller) to the bottom of the stack.
local function traceback(level)
    local frames = {}
    level = level or 3
    while true do
        local info = debug.getinfo(level, 'nSl')
        if info == nil then
            break
        end
        local file = 'eval'
        if info.source:sub(1, 1) == '@' then
            file = info.source:sub(2)
        end
        frames[#frames + 1] = {
            source = info.source,
            src = info.short_src,
            line = info.linedefined or 0,
            what = info.what,
            name = info.name,
            namewhat = info.namewhat,
            filename = file,
        }
        level = level + 1
    end
    return frames
end

local function diag(test, fmt, ...)
    io.write(indent(test), '# ', string.format(fmt, ...), '\n')
end

local function ok(test, cond, message, extra)
    test.total = test.total + 1
    io.write(indent(test))
    if cond then
        io.write(string.format('ok - %s\n', message))
        return true
    end
    test.failed = test.failed + 1
    io.write(string.format('not ok - %s\n', message))
    extra = extra or {}
    if test.trace then
        local trace = traceback()
        extra.trace = trace
        extra.filename = trace[#trace].filename
        extra.line = trace[#trace].line
    end
    if next(extra) == nil then
        return false
    end
    for line in yaml().encode(extra):gmatch('[^\n]+') do
        io.write(indent(test, 2), line, '\n')
    end
    return false
end

local function fail(test, message, extra)
    return ok(test, false, message, extra)
end

local function skip(test, message, extra)
    ok(test, true, message .. ' # skip', extra)
end

-- deep_equal compares got with expected recursively and leaves in extra
-- where they differ: path ('/'-separated keys under '/'), got and
-- expected. Numbers compare by value (NaN equals NaN), bool cdata as
-- booleans; with extra.strict the types must match too. An expected key
-- that got lacks fails unless its value is box.NULL in non-strict mode.
local function deep_equal(got, expected, extra)
    if type(got) == 'number' or type(expected) == 'number' then
        extra.got = got
        extra.expected = expected
        if got ~= got and expected ~= expected then
            return true
        end
        return got == expected
    end
    if ffi.istype('bool', got) then
        got = got == 1
    end
    if ffi.istype('bool', expected) then
        expected = expected == 1
    end
    if extra.strict and type(got) ~= type(expected) then
        extra.got = type(got)
        extra.expected = type(expected)
        return false
    end
    if type(got) ~= 'table' or type(expected) ~= 'table' then
        extra.got = got
        extra.expected = expected
        return got == expected
    end
    local path = extra.path or '/'
    local seen = {}
    for k, v in pairs(got) do
        seen[k] = true
        extra.path = path .. '/' .. k
        if not deep_equal(v, expected[k], extra) then
            return false
        end
    end
    for k, v in pairs(expected) do
        if seen[k] ~= true and (extra.strict or v ~= NULL) then
            extra.expected = 'key ' .. tostring(k)
            extra.got = 'nil'
            return false
        end
    end
    extra.path = path
    return true
end

local function is(test, got, expected, message, extra)
    extra = extra or {}
    extra.got = got
    extra.expected = expected
    local pass = (test.strict == false or type(got) == type(expected)) and
                 got == expected
    return ok(test, pass, message, extra)
end

local function isnt(test, got, unexpected, message, extra)
    extra = extra or {}
    extra.got = got
    extra.unexpected = unexpected
    local pass = (test.strict == true and type(got) ~= type(unexpected)) or
                 got ~= unexpected
    return ok(test, pass, message, extra)
end

-- A test object is a table with these fields, which scripts may read
-- and set:
--
--   parent   the enclosing test, nil for the root one
--   name     the name given to test()
--   level    the nesting depth: 0 for the root test; output is indented
--            by four spaces per level
--   total    how many assertions ran
--   failed   how many of them failed
--   planned  the count given to plan(), 0 if none
--   trace    whether failures report the Lua stack (inherited from the
--            parent; true for a root test)
--   strict   whether is/isnt/is_deeply compare types as well (false
--            unless set)
--   checked  set by check(), which may run once
--
-- Its methods come from test_mt.__index:
--
--   test(name[, fun, ...])       a subtest, run at once when fun is given
--   plan(n), check()             the expected count, and the verdict
--   ok(cond, msg[, extra])       the basic assertion; fail(), skip()
--   is, isnt, is_deeply          comparisons
--   like, unlike                 string.match on tostring(got)
--   isnil, isnumber, isstring, istable, isboolean, isfunction,
--   isudata(v, utype), iscdata(v, ctype)
--   diag(fmt, ...)               a '# ' comment line, the arguments as
--                                for string.format
--
-- Every assertion returns whether it passed (skip returns nothing), and
-- takes an optional extra table of details printed on failure: ok() adds
-- trace, filename and line to it, the comparisons got and expected (or
-- unexpected), is_deeply also path and strict.
--
local test_mt

-- test creates a test under parent (nil for the root one). With fun it
-- runs fun(test, ...) between two diagnostics and returns test:check();
-- without, it returns the test for the caller to drive.
local function test(parent, name, fun, ...)
    local level = parent ~= nil and parent.level + 1 or 0
    local t = setmetatable({
        parent = parent,
        name = name,
        level = level,
        total = 0,
        failed = 0,
        planned = 0,
        trace = parent == nil and true or parent.trace,
        strict = false,
    }, test_mt)
    if fun == nil then
        return t
    end
    t:diag('%s', t.name)
    fun(t, ...)
    t:diag('%s: end', t.name)
    return t:check()
end

-- plan announces how many assertions the test will make.
local function plan(test, planned)
    test.planned = planned
    io.write(indent(test), string.format('1..%d\n', planned))
end

local function check(test)
    if test.checked then
        error('check called twice')
    end
    test.checked = true
    local parent = test.parent
    if test.planned ~= test.total then
        if parent ~= nil then
            ok(parent, false, 'bad plan',
               {planned = test.planned, run = test.total})
        else
            diag(test, string.format('bad plan: planned %d run %d',
                                     test.planned, test.total))
        end
    elseif test.failed > 0 then
        if parent ~= nil then
            ok(parent, false, 'failed subtests',
               {failed = test.failed, planned = test.planned})
        else
            diag(test, 'failed subtest: %d', test.failed)
        end
    elseif parent ~= nil then
        ok(parent, true, test.name)
    end
    return test.planned == test.total and test.failed == 0
end

local function like(test, got, pattern, message, extra)
    extra = extra or {}
    extra.got = got
    extra.expected = pattern
    return ok(test, string.match(tostring(got), pattern) ~= nil, message, extra)
end

local function unlike(test, got, pattern, message, extra)
    extra = extra or {}
    extra.got = got
    extra.expected = pattern
    return ok(test, string.match(tostring(got), pattern) == nil, message, extra)
end

-- is compares with ==, and also by type unless test.strict is false.
local function is_deeply(test, got, expected, message, extra)
    extra = extra or {}
    extra.got = got
    extra.expected = expected
    extra.strict = test.strict
    return ok(test, deep_equal(got, expected, extra), message, extra)
end

-- The type assertions compare type names with is(); isnil passes for nil
-- and false.
local function type_is(name)
    return function(test, v, message, extra)
        return is(test, type(v), name, message, extra)
    end
end

local function isnil(test, v, message, extra)
    return is(test, not v and 'nil' or v, 'nil', message, extra)
end

local function isudata(test, v, utype, message, extra)
    extra = extra or {}
    extra.expected = 'userdata<' .. utype .. '>'
    if type(v) ~= 'userdata' then
        extra.got = type(v)
        return fail(test, message, extra)
    end
    extra.got = 'userdata<' .. getmetatable(v) .. '>'
    return ok(test, getmetatable(v) == utype, message, extra)
end

local function iscdata(test, v, ctype, message, extra)
    extra = extra or {}
    extra.expected = ffi.typeof(ctype)
    if type(v) ~= 'cdata' then
        extra.got = type(v)
        return fail(test, message, extra)
    end
    extra.got = ffi.typeof(v)
    return ok(test, ffi.istype(ctype, v), message, extra)
end

test_mt = {
    __index = {
        test = test,
        plan = plan,
        check = check,
        diag = diag,
        ok = ok,
        fail = fail,
        skip = skip,
        is = is,
        isnt = isnt,
        isnil = isnil,
        isnumber = type_is('number'),
        isstring = type_is('string'),
        istable = type_is('table'),
        isboolean = type_is('boolean'),
        isfunction = type_is('function'),
        isudata = isudata,
        iscdata = iscdata,
        is_deeply = is_deeply,
        like = like,
        unlike = unlike,
    },
}

return {
    -- The root test prints the protocol version first.
    test = function(...)
        io.write('TAP version 13', '\n')
        return test(nil, ...)
    end,
}
