-- require('title') (2.6 builtin/title.lua): the process title.
--
--   title.update(kv)  sets the parts kv gives (interpretor_name,
--                     script_name, status, custom_title, each converted
--                     with tostring; '' unsets a part; a string kv is the
--                     custom title) and shows the title, unless
--                     kv.__defer_update is set
--   title.get()       the title last shown ('' before any update, nil
--                     when the process has no title area) and a table of
--                     the parts
--
-- The parts and the title live in Go (title.go), where the server sets
-- the script name and the box status too.

local _, helpers = ...

local PARTS = {'interpretor_name', 'script_name', 'status', 'custom_title'}

local title = {}

function title.update(kv)
    if type(kv) == 'string' then
        kv = {custom_title = kv}
    end
    if type(kv) ~= 'table' then
        return
    end
    for _, part in ipairs(PARTS) do
        if kv[part] ~= nil then
            helpers.set(part, tostring(kv[part]))
        end
    end
    if not kv.__defer_update then
        helpers.update()
    end
end

function title.get()
    local t, interpretor, script, status, custom = helpers.get()
    return t, {
        interpretor_name = interpretor,
        script_name = script,
        status = status,
        custom_title = custom,
    }
end

return title
