-- uri: Tarantool 2.6's uri module, parse(str) and format(uri[,
-- write_password]), over Go (uri.go) in place of src/lib/uri.
--
-- Layout: the statements that can raise sit on the lines where
-- Tarantool's builtin/uri.lua has them (38, 41 and 63 to 80), so that
-- error messages carry the same positions. Fields and arguments go
-- through a const char * field of a C struct, as in Tarantool, so that
-- the FFI converts them and raises its own messages.
local _, builtin = ...
local ffi = require('ffi')
if not pcall(ffi.typeof, 'struct spindle_uri_fields') then ffi.cdef[[
struct spindle_uri_fields {
    const char *scheme; size_t scheme_len;
    const char *login; size_t login_len;
    const char *password; size_t password_len;
    const char *host; size_t host_len;
    const char *service; size_t service_len;
    const char *path; size_t path_len;
    const char *query; size_t query_len;
    const char *fragment; size_t fragment_len;
};
]] end
-- Only ever written (Go receives the Lua strings themselves), so the
-- pointers a previous call left in it are never followed.
local uribuf = ffi.new('struct spindle_uri_fields')

-- cstring_arg converts v as the FFI converts an argument for a const
-- char * parameter; for what does not convert it returns nil and the
-- FFI's message, which uri_parse raises as its argument error.
local function cstring_arg(v)
    local ok, res = pcall(function() uribuf.scheme = v return ffi.string(uribuf.scheme) end)
    if ok then return res end
    return nil, (res:gsub('^builtin/uri.lua:%d+: ', ''))
end

local function parse(str)
    if str == nil then
        error("Usage: uri.parse(string)")
    end
    local s, convmsg = str, nil if type(str) ~= 'string' then s, convmsg = cstring_arg(str) end
    local result = builtin.uri_parse(uribuf, s, convmsg)
    return result
end

-- parse returns a table of the URI's parts (scheme, login, password,
-- host, service, path, query, fragment: those present, possibly empty)
-- plus the host kind: ipv4 or ipv6 (the host again) or unix (the socket
-- path, which is also the service); nil when str is not a URI. Like the
-- C parser it sees str up to its first NUL byte.
--
-- format writes scheme://login:password@host:service/path?query#fragment
-- with the parts that are present and not empty: login, password and
-- service only with a host, the password only when write_password is
-- true. Each part ends at its first NUL byte, as printf's %.*s sees it.
-- Tarantool formats into a 1024-byte buffer and returns as many bytes
-- as the whole result needs, so a result of 1024 bytes or more keeps
-- its first 1023 and is padded with zero bytes (see luaFormatURI).
--
-- format accepts anything indexable (a table, a parse result, a
-- string, whose fields are nil).
local function format(uri, write_password)
    -- each field is read, checked by the FFI and measured as Tarantool does
    local scheme = uri.scheme uribuf.scheme = scheme
    uribuf.scheme_len = string.len(uri.scheme or '')
    local login = uri.login uribuf.login = login
    uribuf.login_len = string.len(uri.login or '')
    local password = uri.password uribuf.password = password
    uribuf.password_len = string.len(uri.password or '')
    local host = uri.host uribuf.host = host
    uribuf.host_len = string.len(uri.host or '')
    local service = uri.service uribuf.service = service
    uribuf.service_len = string.len(uri.service or '')
    local path = uri.path uribuf.path = path
    uribuf.path_len = string.len(uri.path or '')
    local query = uri.query uribuf.query = query
    uribuf.query_len = string.len(uri.query or '')
    local fragment = uri.fragment uribuf.fragment = fragment
    uribuf.fragment_len = string.len(uri.fragment or '')
    -- all fields are strings or nil here
    local str = builtin.uri_format(scheme, login, password, host, service, path, query, fragment, write_password and true or false)
    return str
end

return {
    parse = parse,
    format = format,
}
