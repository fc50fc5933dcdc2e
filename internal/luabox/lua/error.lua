-- error.lua: box.error objects as Tarantool 2.6's builtin/error.lua
-- presents them. An error is cdata pointing at a struct error laid out as
-- 2.6's (package lua, errobj.c); the Go error it mirrors answers what
-- the struct does not hold (the custom type, the cause, the fields of a
-- class), through the helpers Go passes in.
--
-- Line numbers are part of the interface: scripts see errors raised here
-- as "builtin/error.lua:143: Cycles are not allowed", with 2.6's line
-- numbers. Each raising statement sits on the line of its counterpart in
-- 2.6, marked --@N (errors_test.go checks the marks); comments and blank
-- lines fill the gaps. Keep the marked lines in place when editing.
local H = ...
local ffi = require('ffi')

ffi.cdef[[
struct type_info;
struct method_info;

enum ctype {
    CTYPE_VOID = 0,
    CTYPE_INT,
    CTYPE_CONST_CHAR_PTR
};

struct type_info {
    const char *name;
    const struct type_info *parent;
    const struct method_info *methods;
};

enum { METHOD_ARG_MAX = 8 };

struct method_info {
    const struct type_info *owner;
    const char *name;
    enum ctype rtype;
    enum ctype atype[METHOD_ARG_MAX];
    int nargs;
    bool isconst;

    union {
        /* Add extra space to get proper struct size in C */
        void *_spacer[2];
    };
};

enum {
    DIAG_ERRMSG_MAX = 512,
    DIAG_FILENAME_MAX = 256
};

typedef void (*error_f)(struct error *e);

struct error {
    error_f _destroy;
    error_f _raise;
    error_f _log;
    const struct type_info *_type;
    int64_t _refs;
    int _saved_errno;
    /** Line number. */
    unsigned _line;
    /* Source file name. */
    char _file[DIAG_FILENAME_MAX];
    /* Error description. */
    char _errmsg[DIAG_ERRMSG_MAX];
    struct error *_cause;
    struct error *_effect;
};
]]

-- Reflection: the fields some classes add (ClientError's code,
-- CustomError's custom_type, AccessDeniedError's access_type, object_type
-- and object_name), which only the Go error knows. H.reflect(err, key)
-- returns the value, or nil when err's class has no such field;
-- H.reflect_all(err) returns them all in a table.
local reflect = H.reflect
local reflect_all = H.reflect_all

local function error_base_type(err)
    return ffi.string(err._type.name)
end

-- The type is the custom type of a CustomError, the class otherwise.
local function error_type(err)
    return H.type(err) or error_base_type(err)
end

-- The message as 2.6 keeps it: at most DIAG_ERRMSG_MAX - 1 bytes.
local function error_message(err)
    return ffi.string(err._errmsg)
end

local function error_trace(err)
    if err._file[0] == 0 then
        return {}
    end
    return {
        { file = ffi.string(err._file), line = tonumber(err._line) };
    }
end

local function error_errno(err)
    local e = err._saved_errno
    if e == 0 then
        return nil
    end
    return e
end

-- The cause: a new struct error * cdata for it (2.6 returns a pointer
-- where box.error.new and box.error.last return references), nil when
-- there is none.
local function error_prev(err)
    return H.prev(err)
end

-- set_prev(prev) makes prev (an error, or nil for none) the cause of err:
-- prev leaves any error it was the cause of, and a list of causes never
-- becomes a cycle.
--
-- The list lives in the Go errors: H.set_prev changes the cause of the
-- Go error behind err and returns false when the change would close a
-- cycle. The blocks' own _cause and _effect fields stay NULL, as Lua
-- reads the causes through error.prev only.
--
-- Unlike 2.6, set_prev does not leak a reference to err (2.6's
-- error_set_prev takes one that nothing drops), so an error with a cause
-- is freed like any other.
--
local function error_set_prev(err, prev)
    -- First argument must be error.
    if not ffi.istype('struct error', err) then
        error("Usage: error1:set_prev(error2)") --@134
    end
    -- Second argument must be error or nil.
    if not ffi.istype('struct error', prev) and prev ~= nil then
        error("Usage: error1:set_prev(error2)") --@138
    end
    local ok = H.set_prev(err, prev)
    -- A cause that is err itself or one of its effects is refused.
    if not ok then
        error("Cycles are not allowed") --@143
    end

end

local error_fields = {
    ["type"]        = error_type;
    ["message"]     = error_message;
    ["trace"]       = error_trace;
    ["errno"]       = error_errno;
    ["prev"]        = error_prev;
    ["base_type"]   = error_base_type
}

local function error_unpack(err)
    if not ffi.istype('struct error', err) then
        error("Usage: error:unpack()") --@159
    end
    local result = {}
    for key, getter in pairs(error_fields)  do
        result[key] = getter(err)
    end
    for key, value in pairs(reflect_all(err)) do
        result[key] = value
    end
    return result
end

-- raise() raises err itself; match(pattern) is string.match on the
-- message (Tarantool 1.6's error:match).

local function error_raise(err)
    if not ffi.istype('struct error', err) then
        error("Usage: error:raise()") --@176
    end
    error(err) --@178
end

local function error_match(err, ...)
    if not ffi.istype('struct error', err) then
        error("Usage: error:match()") --@183
    end
    return string.match(error_message(err), ...) --@185
end

local function error_serialize(err)
    -- Return an error message only in admin console to keep compatibility
    return error_message(err)
end

local error_methods = {
    ["unpack"] = error_unpack;
    ["raise"] = error_raise;
    ["match"] = error_match; -- Tarantool 1.6 backward compatibility
    ["__serialize"] = error_serialize;
    ["set_prev"] = error_set_prev;
}

-- Fields first, then the class's own fields, then the methods.
local function error_index(err, key)
    local getter = error_fields[key]
    if getter ~= nil then
        return getter(err)
    end
    local val = reflect(err, key)
    if val ~= nil then
        return val
    end
    return error_methods[key]
end

-- err .. s and s .. err concatenate the message; the error below is
-- what concatenating with a struct error that is neither side raises.
local function error_concat(lhs, rhs)
    if ffi.istype('struct error', lhs) then
        return tostring(lhs) .. rhs
    elseif ffi.istype('struct error', rhs) then
        return lhs .. tostring(rhs)
    else
       error('error_mt.__concat(): neither of args is an error') --@222
    end
end

local error_mt = {
    __index = error_index;
    __tostring = error_message;
    __concat = error_concat;
};

ffi.metatype('struct error', error_mt);

-- Go makes error objects with these: a reference to a block (as 2.6's
-- luaT_pusherror) or a pointer to it (error.prev), each holding a
-- reference to the block that the collector releases through H.gc.
local ref_ptr = ffi.typeof('const struct error *')
local ptr = ffi.typeof('struct error *')
local gc = H.gc
H.setup(ffi.typeof('const struct error &'), ptr,
    function(addr) return ffi.gc(ffi.cast(ref_ptr, addr)[0], gc) end,
    function(addr) return ffi.gc(ffi.cast(ptr, addr), gc) end)
