-- gate.lua: box before box.cfg, as 2.6 has it. Until the first box.cfg
-- only NULL, cfg, ctl, error, execute, index, internal, runtime, session
-- and tuple are there; any other member raises "Please call box.cfg{}
-- first" (2.6's box metatable, load_cfg.lua:599). The first box.cfg
-- brings the rest back and drops the metatable. Modules such as queue
-- decide from rawget(box, 'space') whether box is configured.

local before_cfg = {
    NULL = true, cfg = true, ctl = true, error = true, execute = true,
    index = true, internal = true, runtime = true, session = true, tuple = true,
}

local hidden = {}
for k, v in pairs(box) do
    if not before_cfg[k] then
        hidden[k] = v
    end
end
for k in pairs(hidden) do
    rawset(box, k, nil)
end

setmetatable(box, {
    __index = function()
        error('builtin/box/load_cfg.lua:599: Please call box.cfg{} first', 0)
    end,
})

-- box.internal.open_box is called by box.cfg once box is up.
box.internal.open_box = function()
    for k, v in pairs(hidden) do
        if rawget(box, k) == nil then
            rawset(box, k, v)
        end
    end
    hidden = {}
    setmetatable(box, nil)
end

-- Tarantool loads its built-in modules at start-up: package.loaded holds
-- them before any require, and the C declarations they make exist.
for _, name in ipairs({'buffer', 'clock', 'console', 'crypto', 'csv', 'decimal', 'digest',
                       'errno', 'fiber', 'fio', 'fun', 'http.client', 'internal.trigger',
                       'json', 'key_def', 'log', 'merger', 'msgpack', 'msgpackffi',
                       'net.box', 'pickle', 'popen', 'socket', 'strict', 'tap', 'tarantool',
                       'title', 'uri', 'utf8', 'uuid', 'yaml'}) do
    if package.preload[name] ~= nil or package.loaded[name] ~= nil then
        require(name)
    end
end
package.loaded.box = box
