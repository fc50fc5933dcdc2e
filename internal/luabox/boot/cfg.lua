-- box.cfg: option checking, defaults and dynamic reconfiguration with
-- Tarantool 2.6's option names, types, messages and log lines. The Go
-- side (box.internal.cfg_apply) brings box up and applies changes.
local internal = box.internal
local log = require('log')
local json = require('json')

local default_cfg = {
    memtx_memory = 256 * 1024 * 1024, strip_core = true,
    memtx_min_tuple_size = 16, memtx_max_tuple_size = 1024 * 1024,
    slab_alloc_factor = 1.05, memtx_dir = ".", wal_dir = ".",
    vinyl_dir = '.', vinyl_memory = 128 * 1024 * 1024,
    vinyl_cache = 128 * 1024 * 1024, vinyl_max_tuple_size = 1024 * 1024,
    vinyl_read_threads = 1, vinyl_write_threads = 4, vinyl_timeout = 60,
    vinyl_run_count_per_level = 2, vinyl_run_size_ratio = 3.5,
    vinyl_page_size = 8 * 1024, vinyl_bloom_fpr = 0.05,
    readahead = 16320, too_long_threshold = 0.5, wal_mode = "write",
    wal_max_size = 256 * 1024 * 1024, wal_dir_rescan_delay = 2,
    force_recovery = false, background = false, coredump = false,
    read_only = false, hot_standby = false, checkpoint_interval = 3600,
    checkpoint_wal_threshold = 1e18, checkpoint_count = 2,
    worker_pool_threads = 4, replication_timeout = 1,
    replication_sync_lag = 10, replication_sync_timeout = 300,
    replication_synchro_quorum = 1, replication_synchro_timeout = 5,
    replication_connect_timeout = 30, replication_skip_conflict = false,
    replication_anon = false, feedback_enabled = true,
    feedback_host = "https://feedback.tarantool.io", feedback_interval = 3600,
    net_msg_max = 768, sql_cache_size = 5 * 1024 * 1024,
}

-- The log options belong to the log module in 2.6: they have values in
-- box.cfg but no entry in default_cfg, so they are logged as set.
local log_defaults = {log_level = 5, log_format = 'plain', log_nonblock = true}

local template_cfg = {
    listen = 'string, number', memtx_memory = 'number', strip_core = 'boolean',
    memtx_min_tuple_size = 'number', memtx_max_tuple_size = 'number',
    slab_alloc_factor = 'number', work_dir = 'string', memtx_dir = 'string',
    wal_dir = 'string', vinyl_dir = 'string', vinyl_memory = 'number',
    vinyl_cache = 'number', vinyl_max_tuple_size = 'number',
    vinyl_read_threads = 'number', vinyl_write_threads = 'number',
    vinyl_timeout = 'number', vinyl_run_count_per_level = 'number',
    vinyl_run_size_ratio = 'number', vinyl_range_size = 'number',
    vinyl_page_size = 'number', vinyl_bloom_fpr = 'number',
    log = 'string', log_nonblock = 'boolean', log_level = 'number, string',
    log_format = 'string', io_collect_interval = 'number',
    readahead = 'number', snap_io_rate_limit = 'number',
    too_long_threshold = 'number', wal_mode = 'string',
    wal_max_size = 'number', wal_dir_rescan_delay = 'number',
    force_recovery = 'boolean', replication = 'string, number, table',
    instance_uuid = 'string', replicaset_uuid = 'string',
    custom_proc_title = 'string', pid_file = 'string', background = 'boolean',
    username = 'string', coredump = 'boolean', checkpoint_interval = 'number',
    checkpoint_wal_threshold = 'number', checkpoint_count = 'number',
    read_only = 'boolean', hot_standby = 'boolean',
    worker_pool_threads = 'number', replication_timeout = 'number',
    replication_sync_lag = 'number', replication_sync_timeout = 'number',
    replication_synchro_quorum = 'number',
    replication_synchro_timeout = 'number',
    replication_connect_timeout = 'number',
    replication_connect_quorum = 'number',
    replication_skip_conflict = 'boolean', replication_anon = 'boolean',
    feedback_enabled = 'boolean', feedback_host = 'string',
    feedback_interval = 'number', net_msg_max = 'number',
    sql_cache_size = 'number',
}

-- Options that box.cfg{} may change after the first call.
local dynamic_cfg = {}
for _, k in ipairs({'listen', 'replication', 'log_level', 'log_format',
        'io_collect_interval', 'readahead', 'too_long_threshold',
        'snap_io_rate_limit', 'read_only', 'memtx_memory',
        'memtx_max_tuple_size', 'vinyl_memory', 'vinyl_max_tuple_size',
        'vinyl_cache', 'vinyl_timeout', 'checkpoint_count',
        'checkpoint_interval', 'checkpoint_wal_threshold',
        'worker_pool_threads', 'feedback_enabled', 'feedback_host',
        'feedback_interval', 'wal_dir_rescan_delay', 'custom_proc_title',
        'force_recovery', 'replication_timeout',
        'replication_connect_timeout', 'replication_connect_quorum',
        'replication_sync_lag', 'replication_sync_timeout',
        'replication_synchro_quorum', 'replication_synchro_timeout',
        'replication_skip_conflict', 'replication_anon', 'instance_uuid',
        'replicaset_uuid', 'net_msg_max', 'sql_cache_size'}) do
    dynamic_cfg[k] = true
end

-- Options applied while box starts; the rest are applied (and logged)
-- after the first box.cfg has loaded box, as Tarantool does.
local applied_at_load = {
    listen = true, memtx_memory = true, memtx_max_tuple_size = true,
    vinyl_memory = true, vinyl_max_tuple_size = true, vinyl_cache = true,
    vinyl_timeout = true, too_long_threshold = true, replication = true,
    replication_timeout = true, replication_connect_timeout = true,
    replication_connect_quorum = true, replication_sync_lag = true,
    replication_sync_timeout = true, replication_synchro_quorum = true,
    replication_synchro_timeout = true, replication_skip_conflict = true,
    replication_anon = true, wal_dir_rescan_delay = true,
    custom_proc_title = true, force_recovery = true, instance_uuid = true,
    replicaset_uuid = true, net_msg_max = true, readahead = true,
}

local log_levels = {fatal = 0, syserror = 1, error = 2, crit = 3, warn = 4,
                    info = 5, verbose = 6, debug = 7}

local function cfg_error(name, msg)
    box.error(box.error.CFG, name, msg)
end

-- prepare checks every option of cfg and returns the values to set;
-- "" and nil-like values restore the default.
local function prepare(cfg)
    if cfg == nil then
        return {}
    end
    if type(cfg) ~= 'table' then
        error("Error: cfg should be a table")
    end
    local new = {}
    for k, v in pairs(cfg) do
        local t = template_cfg[k]
        if t == nil then
            cfg_error(k, "unexpected option")
        elseif v == "" or v == box.NULL then
            v = default_cfg[k]
        elseif not string.find(t, ',') then
            if type(v) ~= t then
                cfg_error(k, "should be of type " .. t)
            end
        else
            local good = ',' .. string.gsub(t, ' ', '') .. ','
            if not string.find(good, ',' .. type(v) .. ',', 1, true) then
                cfg_error(k, "should be one of types " .. t)
            end
        end
        if k == 'log_level' and type(v) == 'string' then
            if log_levels[v] == nil then
                cfg_error(k, "expected crit, debug, error, fatal, info, syserror, verbose, warn")
            end
            v = log_levels[v]
        end
        if k == 'wal_mode' and v ~= 'none' and v ~= 'write' and v ~= 'fsync' then
            cfg_error(k, "expected 'none', 'write' or 'fsync'")
        end
        new[k] = v
    end
    return new
end

local function same(a, b)
    if type(a) ~= type(b) then
        return false
    end
    if type(a) ~= 'table' then
        return a == b
    end
    if #a ~= #b then
        return false
    end
    for i, v in ipairs(a) do
        if v ~= b[i] then
            return false
        end
    end
    return true
end

-- Passwords in replication URIs never reach the log ("u:pw@h:p" is
-- logged as "u@h:p"), as in 2.6.
local function purge_password(uri)
    if type(uri) ~= 'string' then
        return uri
    end
    return (string.gsub(uri, '^([^:@/]+):[^@]*@', '%1@'))
end

local function log_set(k, v)
    if k == 'replication' then
        if type(v) == 'table' then
            local t = {}
            for i, u in ipairs(v) do t[i] = purge_password(u) end
            v = t
        else
            v = purge_password(v)
        end
    end
    log.info("set '%s' configuration option to %s", k, json.encode(v))
end

local configured = false

local function reload(oldcfg, cfg)
    local new = prepare(cfg)
    local keys = {}
    for k, _ in pairs(cfg or {}) do
        if not dynamic_cfg[k] and not same(oldcfg[k], new[k]) then
            box.error(box.error.RELOAD_CFG, k)
        end
        table.insert(keys, k)
    end
    table.sort(keys)
    local changed = {}
    for _, k in ipairs(keys) do
        if not same(new[k], oldcfg[k]) then
            changed[k] = new[k] == nil and box.NULL or new[k]
        end
    end
    if next(changed) == nil then
        return
    end
    local all = {}
    for k, v in pairs(oldcfg) do all[k] = v end
    for k, v in pairs(changed) do
        if v == box.NULL then all[k] = nil else all[k] = v end
    end
    internal.cfg_apply(false, changed, all)
    for _, k in ipairs(keys) do
        if changed[k] ~= nil then
            rawset(oldcfg, k, all[k])
            log_set(k, all[k])
        end
    end
end

local function load(cfg)
    if configured then
        return reload(box.cfg, cfg)
    end
    local new = prepare(cfg)
    local all = {}
    for k, v in pairs(default_cfg) do all[k] = v end
    for k, v in pairs(log_defaults) do all[k] = v end
    for k, v in pairs(new) do all[k] = v end
    internal.cfg_apply(true, new, all)
    configured = true
    internal.open_box()
    box.cfg = setmetatable(all, {
        __newindex = function() error('Attempt to modify a read-only table') end,
        __call = function(self, c) return reload(self, c) end,
    })
    local keys = {}
    for k, _ in pairs(dynamic_cfg) do table.insert(keys, k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
        local v = all[k]
        if v ~= nil and not same(v, default_cfg[k]) then
            log_set(k, v)
        end
    end
end

box.cfg = load
