-- log: Tarantool 2.6's log module. Messages go to the server's Logger
-- (Options.Logger) through Go helpers (log.go) where Tarantool calls its
-- say module; the level lives in an int cell shared with Go, so
-- box.cfg's log_level and log.level() are the same setting.
--
-- Usage errors carry the positions Tarantool's builtin/log.lua gives
-- them (its error() calls at level 1), so pcall messages match.
local _, helpers = ...

local function fail(line, msg)
    error('builtin/log.lua:' .. line .. ': ' .. msg, 0)
end

local level_cell = helpers.level_cell

-- Tarantool's enum say_level.
local S_FATAL = 0
local S_SYSERROR = 1
local S_ERROR = 2
local S_CRIT = 3
local S_WARN = 4
local S_INFO = 5
local S_VERBOSE = 6
local S_DEBUG = 7

-- Table messages are logged as JSON, encoded by a json instance of
-- their own (loaded at the first table message).
local json
local function json_encode(t)
    if json == nil then
        json = require('json').new()
        json.cfg{
            encode_invalid_numbers = true,
            encode_load_metatables = true,
            encode_use_tostring = true,
            encode_invalid_as_nil = true,
        }
    end
    return json.encode(t)
end

-- Keys removed from table messages: the JSON log format has them.
local special_fields = {
    "file",
    "level",
    "pid",
    "line",
    "cord_name",
    "fiber_name",
    "fiber_id",
    "error_msg",
}

-- Log formats and levels by name. The lists in messages are in the
-- order Tarantool's hash tables give them.
local fmt_str2num = { plain = 0, json = 1 }
local fmt_list = 'json,plain'
local log_level_keys = {
    fatal = S_FATAL,
    syserror = S_SYSERROR,
    error = S_ERROR,
    crit = S_CRIT,
    warn = S_WARN,
    info = S_INFO,
    verbose = S_VERBOSE,
    debug = S_DEBUG,
}
local level_list = 'crit,warn,info,debug,syserror,verbose,fatal,error'

-- The module's configuration, shown as log.cfg (its keys are API).
local log_cfg = {
    log = nil,
    nonblock = nil,
    level = level_cell[0],
    format = 'plain',
}

-- Names of the options in box.cfg and here.
local log2box_keys = {
    log = 'log',
    nonblock = 'log_nonblock',
    level = 'log_level',
    format = 'log_format',
}
local box2log_keys = {
    log = 'log',
    log_nonblock = 'nonblock',
    log_level = 'level',
    log_format = 'format',
}

-- box_cfg_update copies log options to box.cfg once it is a table.
local function box_cfg_update(log_key)
    if type(box) ~= 'table' or type(box.cfg) ~= 'table' then
        return
    end
    local function update(lkey, bkey)
        -- box.cfg entries under configuration are nil: left alone
        if log_cfg[lkey] ~= nil and box.cfg[bkey] ~= nil and
           box.cfg[bkey] ~= log_cfg[lkey] then
            box.cfg[bkey] = log_cfg[lkey]
        end
    end
    if log_key == nil then
        for k, v in pairs(log2box_keys) do
            update(k, v)
        end
    else
        update(log_key, log2box_keys[log_key])
    end
end

-- Whether the logger has been set up (by log.cfg{} or box.cfg): its
-- destination cannot change afterwards.
local initialized = false
local function logger_initialized()
    return initialized or helpers.initialized()
end

-- Options that can be set only before the logger is set up.
local cfg_static_keys = {
    log = true,
    nonblock = true,
}

local function verify_static(k, v)
    if logger_initialized() and log_cfg[k] ~= v then
        return false, "can't be set dynamically"
    end
    return true
end

-- The json format cannot go to syslog, whether the logger is one
-- already or cfg is about to make it one.
local function verify_format(_, name, cfg)
    if not fmt_str2num[name] then
        return false, ("expected %s"):format(fmt_list)
    end
    local dest = log_cfg.log
    if cfg ~= nil and cfg.log ~= nil then
        dest = cfg.log
    end
    if name == 'json' and type(dest) == 'string' and dest:sub(1, 7) == 'syslog:' then
        return false, "json can't be used with syslog logger"
    end
    return true
end

-- A level is a name or any number (for backward compatibility).
local function verify_level(_, level)
    if type(level) == 'string' then
        if not log_level_keys[level] then
            return false, ("expected %s"):format(level_list)
        end
    elseif type(level) ~= 'number' then
        return false, "must be a number or a string"
    end
    return true
end

local verify_ops = {
    log = verify_static,
    nonblock = verify_static,
    format = verify_format,
    level = verify_level,
}

local function verify_option(k, v, ...)
    if verify_ops[k] ~= nil then
        return verify_ops[k](k, v, ...)
    end
    return true
end

-- say formats a message and passes it to the Logger: string.format when
-- arguments follow, JSON for a lone table (without the special fields),
-- tostring for anything else. The position is that of the log call.
local function say(level, fmt, ...)
    if level_cell[0] < level then
        return
    end
    local type_fmt = type(fmt)
    if select('#', ...) ~= 0 then
        local stat
        stat, fmt = pcall(string.format, fmt, ...)
        if not stat then
            error(fmt, 3)
        end
    elseif type_fmt == 'table' then
        for _, field in ipairs(special_fields) do
            fmt[field] = nil
        end
        fmt = json_encode(fmt)
    elseif type_fmt ~= 'string' then
        fmt = tostring(fmt)
    end
    local frame = debug.getinfo(3, 'Sl')
    local line, file = 0, 'eval'
    if type(frame) == 'table' then
        line = frame.currentline or 0
        file = frame.short_src or frame.src or 'eval'
    end
    helpers.say(level, file, line, fmt)
end

local function say_closure(lvl)
    return function(fmt, ...)
        say(lvl, fmt, ...)
    end
end

-- log.rotate reopens the log file.
local function log_rotate()
    helpers.rotate()
end

-- set_log_level sets a valid numeric level.
local function set_log_level(level, update_box_cfg)
    level_cell[0] = level
    rawset(log_cfg, 'level', level)
    if update_box_cfg then
        box_cfg_update('level')
    end
    say(S_DEBUG, ("log: level set to %s"):format(level))
end

local function log_level(level)
    local ok, msg = verify_option('level', level)
    if not ok then
        fail(338, msg)
    end
    if type(level) == 'string' then
        level = log_level_keys[level]
    end
    set_log_level(level, true)
end

-- set_log_format sets a valid format.
local function set_log_format(name, update_box_cfg)
    helpers.set_format(name)
    rawset(log_cfg, 'format', name)
    if update_box_cfg then
        box_cfg_update('format')
    end
    say(S_DEBUG, ("log: format set to '%s'"):format(name))
end

local function log_format(name)
    local ok, msg = verify_option('format', name)
    if not ok then
        fail(372, msg)
    end
    set_log_format(name, true)
end

-- log.pid is the pid of a pipe logger's process, 0 for other loggers.
local function log_pid()
    return helpers.pid()
end

-- The box_api functions are what box.cfg uses to share the log options
-- with this module.
local function box_api_cfg_get(key)
    return log_cfg[box2log_keys[key]]
end

local function box_api_cfg_set(cfg, key, value)
    local log_key = box2log_keys[key]
    -- box.NULL restores the default of a failed configuration attempt
    if value == nil then
        log_cfg[log_key] = nil
        return true
    end
    local ok, msg = verify_option(log_key, value, cfg)
    if not ok then
        return false, msg
    end
    log_cfg[log_key] = value
    return true
end

local function box_api_cfg_set_log_level()
    local v = box.cfg.log_level
    local ok, msg = verify_option('level', v)
    if not ok then
        return false, msg
    end
    if type(v) == 'string' then
        v = log_level_keys[v]
    end
    set_log_level(v, false)
    return true
end

local function box_api_set_log_format()
    local v = box.cfg.log_format
    local ok, msg = verify_option('format', v)
    if not ok then
        return false, msg
    end
    set_log_format(v, false)
    return true
end

-- reload_cfg applies log.cfg{} once the logger is set up: only the
-- level and the format may change.
local function reload_cfg(cfg)
    for k in pairs(cfg_static_keys) do
        if cfg[k] ~= nil then
            local ok, msg = verify_static(k, cfg[k])
            if not ok then
                fail(447, ("log.cfg: '%s' %s"):format(k, msg))
            end
        end
    end
    if cfg.level ~= nil then
        log_level(cfg.level)
    end
    if cfg.format ~= nil then
        log_format(cfg.format)
    end
end

-- log.cfg{log = ..., level = ..., format = ..., nonblock = ...} sets the
-- logger up (the first time) or reconfigures it.
local function load_cfg(_, cfg)
    cfg = cfg or {}
    -- an empty log option means the default, stderr
    if type(cfg.log) == 'string' and cfg.log:len() == 0 then
        cfg.log = nil
    end

    if cfg.format ~= nil then
        local ok, msg = verify_option('format', cfg.format, cfg)
        if not ok then
            fail(477, ("log.cfg: '%s' %s"):format('format', msg))
        end
    end

    if cfg.level ~= nil then
        local ok, msg = verify_option('level', cfg.level)
        if not ok then
            fail(485, ("log.cfg: '%s' %s"):format('level', msg))
        end
    end

    if cfg.nonblock ~= nil then
        if type(cfg.nonblock) ~= 'boolean' then
            fail(491, "log.cfg: 'nonblock' option must be 'true' or 'false'")
        end
    end

    if logger_initialized() then
        return reload_cfg(cfg)
    end

    cfg.level = cfg.level or log_cfg.level
    cfg.format = cfg.format or log_cfg.format
    cfg.nonblock = cfg.nonblock or log_cfg.nonblock
    -- nonblock goes to the logger as a number, and is kept as true or
    -- nil
    local nonblock = (cfg.nonblock == nil or cfg.nonblock == false) and 0 or 1
    -- (the logger is never set up in the background from here: box.cfg
    -- decides that)
    --
    -- As in Tarantool, a level given by name fails here: say_logger_init
    -- takes a number (and log.cfg{} is then left as it was).
    helpers.say_logger_init(cfg.log, cfg.level, nonblock, cfg.format)
    initialized = true
    level_cell[0] = cfg.level
    if cfg.format ~= 'plain' then
        helpers.set_format(cfg.format)
    end
    -- log.cfg shows what was set up, box.cfg too
    rawset(log_cfg, 'log', cfg.log)
    rawset(log_cfg, 'level', cfg.level)
    rawset(log_cfg, 'nonblock', nonblock == 1 or nil)
    rawset(log_cfg, 'format', cfg.format)
    box_cfg_update()
    say(S_DEBUG, ("log.cfg({log=%s,level=%s,nonblock=%s,format='%s'})"):format(
        cfg.log, cfg.level, cfg.nonblock, cfg.format))
end

-- log.logger_pid, deprecated in 1.6 already, says so once.
local compat_warning_said = false
local compat_v16 = {
    logger_pid = function()
        if not compat_warning_said then
            compat_warning_said = true
            say(S_WARN, 'logger_pid() is deprecated, please use pid() instead')
        end
        return log_pid()
    end,
}

local log = {
    warn = say_closure(S_WARN),
    info = say_closure(S_INFO),
    verbose = say_closure(S_VERBOSE),
    debug = say_closure(S_DEBUG),
    error = say_closure(S_ERROR),
    rotate = log_rotate,
    pid = log_pid,
    level = log_level,
    log_format = log_format,
    cfg = setmetatable(log_cfg, {
        __call = load_cfg,
    }),
    box_api = {
        cfg_get = box_api_cfg_get,
        cfg_set = box_api_cfg_set,
        cfg_set_log_level = box_api_cfg_set_log_level,
        cfg_set_log_format = box_api_set_log_format,
    },
}

return setmetatable(log, {
    __serialize = function(self)
        local res = {}
        for k, v in pairs(self) do
            res[k] = v
        end
        res.box_api = nil
        return setmetatable(res, {})
    end,
    __index = compat_v16,
})
