-- clock: Tarantool 2.6's clock module. As in Tarantool, the readings
-- are clock_gettime(2)'s: seconds as Lua numbers and nanoseconds as
-- uint64_t cdata (*64). clock_gettime is reached through the FFI under a
-- name of its own (an asm label), so that this declaration neither
-- depends on nor changes any other module's view of ffi.C.clock_gettime
-- or struct timespec.
--
-- The call of fun in bench stays on line 35, where Tarantool's
-- builtin/clock.lua has it, so errors calling fun read the same.
local ffi = require('ffi')

if not pcall(ffi.typeof, 'struct spindle_clock_ts') then ffi.cdef[[
struct spindle_clock_ts { long tv_sec; long tv_nsec; };
int spindle_clock_gettime(int clock_id, struct spindle_clock_ts *ts) __asm__("clock_gettime");
]] end

local C = ffi.C
local ts = ffi.new('struct spindle_clock_ts')

-- CLOCK_PROCESS_CPUTIME_ID: 2 on Linux (<time.h>).
local function proc()
    C.spindle_clock_gettime(2, ts)
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- bench runs fun(...) and returns {cpu seconds, results...}; the cost of
-- reading the clock, measured first, is subtracted.
local function bench(fun, ...)
    local t0 = proc()
    local overhead = proc() - t0
    local start = proc()
    -- the results of fun, after a slot for the time
    local res = {
        0,
        fun(...)
    }
    res[1] = proc() - start - overhead
    return res
end

-- seconds: tv_sec + tv_nsec / 1e9 in double arithmetic, as clock.c.
local function seconds(id)
    return function()
        C.spindle_clock_gettime(id, ts)
        return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
    end
end

local u64 = ffi.typeof('uint64_t')
local NSEC = ffi.cast(u64, 1000000000)

-- nanoseconds: tv_sec * 10^9 + tv_nsec as uint64_t, as clock.c.
local function nanoseconds(id)
    return function()
        C.spindle_clock_gettime(id, ts)
        return ffi.cast(u64, ts.tv_sec) * NSEC + ts.tv_nsec
    end
end

-- Linux clock ids (<time.h>): REALTIME 0, MONOTONIC 1,
-- PROCESS_CPUTIME_ID 2, THREAD_CPUTIME_ID 3.
local clock = {
    realtime = seconds(0),
    monotonic = seconds(1),
    proc = proc,
    thread = seconds(3),
    realtime64 = nanoseconds(0),
    monotonic64 = nanoseconds(1),
    proc64 = nanoseconds(2),
    thread64 = nanoseconds(3),
    bench = bench,
}
clock.time = clock.realtime
clock.time64 = clock.realtime64

return clock
