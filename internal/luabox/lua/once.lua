-- once.lua: box.once(key, fn, ...) of Tarantool 2.6.0.
--
-- The marker of a key is the _schema row ['once' .. key]. It is written
-- only on a writable instance (box.ctl.wait_rw() blocks until then), so a
-- read-only replica runs fn only after the marker's absence is settled by
-- becoming writable; once written, the marker replicates like any row and
-- fn never runs again on any instance that has it.
box.once = function(key, func, ...)
    if type(key) ~= 'string' or type(func) ~= 'function' then
        box.error(box.error.ILLEGAL_PARAMS, "Usage: box.once(key, func, ...)")
    end
    local marker = 'once' .. key
    local _schema = box.space._schema
    if _schema:get{marker} ~= nil then
        return
    end
    box.ctl.wait_rw()
    _schema:put{marker}
    return func(...)
end
