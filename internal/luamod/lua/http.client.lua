-- http.client: Tarantool 2.6's HTTP client, the part 2.6 writes in Lua
-- (builtin/http.client.lua), over the driver of httpc.go.
--
-- Line numbers are part of the interface: errors raised here read
-- "builtin/http.client.lua:318: ...", and a method called with a dot
-- reports the line of its own check, as in 2.6. Each such statement sits
-- on the line of its counterpart in 2.6, marked --@N (httpc_test.go
-- checks the marks); blank lines fill the gaps.
local _, driver = ...

local client_mt





































-- new([opts]) is a client: opts.max_connections (the connection cache
-- size, -1 for the default) and opts.max_total_connections (0: no
-- bound). The defaults are written into opts, as 2.6 does.
local function http_new(opts)
    opts = opts or {}
    opts.max_connections = opts.max_connections or -1
    opts.max_total_connections = opts.max_total_connections or 0
    local curl = driver.new(opts.max_connections, opts.max_total_connections) --@56
    return setmetatable({curl = curl}, client_mt)
end

local function check_args(self, method)
    if type(self) ~= 'table' then
        error(('Use client:%s(...) instead of client.%s(...):'):format(method, method), 2)
    end
end

-- Repeated response headers are joined with commas, except those whose
-- values cannot be lists (RFC 2616, 4.2): these keep the first one.
local single_value_headers = {
    ['age'] = true, ['authorization'] = true, ['content-length'] = true,
    ['content-type'] = true, ['etag'] = true, ['expires'] = true,
    ['from'] = true, ['host'] = true, ['if-modified-since'] = true,
    ['if-unmodified-since'] = true, ['last-modified'] = true,
    ['location'] = true, ['max-forwards'] = true,
    ['proxy-authorization'] = true, ['referer'] = true,
    ['retry-after'] = true, ['user-agent'] = true,
}

-- Characters a cookie name may not have.
local cookie_name_stops = {}
for c in ('()[]<>@,;:\\"/?={} \t'):gmatch('.') do
    cookie_name_stops[c] = true
end

-- The cookie attributes kept in a cookie's options.
local cookie_attributes = {
    ['Expires'] = true, ['Max-Age'] = true, ['Domain'] = true,
    ['Path'] = true, ['Secure'] = true, ['HttpOnly'] = true,
    ['SameSite'] = true,
}

-- Adds the cookie of one Set-Cookie value to cookies as name = {value,
-- {attributes}}; a value without "name=" or with a bad name is skipped.
local function add_cookie(header, cookies)
    local parts = header:split(';')
    local pair = parts[1]:split('=')
    if #pair < 2 then
        return
    end
    local name = string.strip(pair[1])
    for c in name:gmatch('.') do
        if cookie_name_stops[c] then
            return
        end
    end
    local attributes = {}
    for i = 2, #parts do
        local attr = string.strip(parts[i]:split('=')[1])
        if cookie_attributes[attr] then
            table.insert(attributes, string.strip(parts[i]))
        end
    end
    cookies[name] = {string.strip(pair[2]), attributes}
end

local function parse_cookies(values)
    local cookies = {}
    for _, v in pairs(values) do
        add_cookie(v, cookies)
    end
    return cookies
end

local function join_headers(headers)
    for name, values in pairs(headers) do
        if type(values) == 'table' then
            if single_value_headers[name] then
                headers[name] = values[1]
            else
                headers[name] = table.concat(values, ',')
            end
        end
    end
    return headers
end















































































































































































-- request(method, url[, body[, opts]]) is the response: {status, reason,
-- headers, cookies, proto, body}. opts: headers, timeout, ca_path,
-- ca_file, unix_socket, verify_host, verify_peer, ssl_key, ssl_cert,
-- proxy, proxy_port, proxy_user_pwd, no_proxy, keepalive_idle,
-- keepalive_interval, low_speed_time, low_speed_limit,
-- max_header_name_length, interface, follow_location, accept_encoding.
local function request(self, method, url, body, opts)
    if not method or not url then
        error('request(method, url[, body, [options]])')                 --@318
    end
    local resp = self.curl:request(method, url, body, opts or {})        --@320
    if resp and resp.headers then
        if resp.headers['set-cookie'] ~= nil then
            resp.cookies = parse_cookies(resp.headers['set-cookie'])
        end
        resp.headers = join_headers(resp.headers)
    end
    return resp
end

local methods = {request = request}


function methods.get(self, url, opts)
    check_args(self, 'get')                                               --@334
    return self:request('GET', url, nil, opts)
end




function methods.post(self, url, body, opts)
    check_args(self, 'post')                                              --@342
    return self:request('POST', url, body, opts)
end




function methods.put(self, url, body, opts)
    check_args(self, 'put')                                               --@350
    return self:request('PUT', url, body, opts)
end




function methods.patch(self, url, body, opts)
    check_args(self, 'patch')                                             --@358
    return self:request('PATCH', url, body, opts)
end




function methods.options(self, url, opts)
    check_args(self, 'options')                                           --@366
    return self:request('OPTIONS', url, nil, opts)
end




function methods.head(self, url, opts)
    check_args(self, 'head')                                              --@374
    return self:request('HEAD', url, nil, opts)
end



function methods.delete(self, url, opts)
    check_args(self, 'delete')                                            --@381
    return self:request('DELETE', url, nil, opts)
end




function methods.trace(self, url, opts)
    check_args(self, 'trace')                                             --@389
    return self:request('TRACE', url, nil, opts)
end




function methods.connect(self, url, opts)
    check_args(self, 'connect')                                           --@397
    return self:request('CONNECT', url, nil, opts)
end

-- stat() is the client's counters: active_requests, sockets_added,
-- sockets_deleted, total_requests, http_200_responses,
-- http_other_responses, failed_requests.
function methods.stat(self)
    return self.curl:stat()
end

client_mt = {__index = methods}

-- The module's functions are those of a default client.
local default = http_new()
local module = {new = http_new}
for _, name in ipairs({'get', 'delete', 'trace', 'options', 'head',
                       'connect', 'post', 'put', 'patch', 'request'}) do
    module[name] = function(...) return default[name](default, ...) end
end

return module
