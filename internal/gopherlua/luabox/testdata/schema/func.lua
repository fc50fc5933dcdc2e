local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- box.schema.func.
local function frow(name)
    local t = box.space._func.index.name:get{name}
    if t == nil then
        return nil
    end
    -- Fields 18 and 19 hold the creation time.
    local r = {}
    for i = 1, 17 do
        r[i] = t[i]
    end
    return r
end

check('create', box.schema.func.create, 'f1')
show('f1 row', frow('f1'))
show('f1 time fields', {#box.space._func.index.name:get{'f1'}, type(box.space._func.index.name:get{'f1'}[18]),
      box.space._func.index.name:get{'f1'}[18] == box.space._func.index.name:get{'f1'}[19]})
check('create with options', box.schema.func.create, 'f2', {setuid = true, language = 'lua',
      body = 'function(a) return a end', is_deterministic = true, comment = 'c',
      returns = 'integer', param_list = {'integer'}, exports = {'LUA'}})
show('f2 row', frow('f2'))
check('create exists', box.schema.func.create, 'f1')
check('create if_not_exists', box.schema.func.create, 'f1', {if_not_exists = true})
check('create bad option', box.schema.func.create, 'f3', {foo = 1})
check('create bad setuid', box.schema.func.create, 'f3', {setuid = 1})
check('create bad body', box.schema.func.create, 'f3', {body = 1})
check('create opts not table', box.schema.func.create, 'f3', 'x')
check('create bad language', box.schema.func.create, 'f3', {language = 'cobol'})
check('create upper language', box.schema.func.create, 'f4', {language = 'LUA'})
show('f4 language', box.space._func.index.name:get{'f4'}[5])
check('exists', function()
    return box.schema.func.exists('f1'), box.schema.func.exists('nope'),
           box.schema.func.exists(box.space._func.index.name:get{'f1'}[1]),
           box.schema.func.exists(nil), box.schema.func.exists({})
end)

-- Privileges on functions.
box.schema.user.create('u')
check('grant execute', box.schema.user.grant, 'u', 'execute', 'function', 'f1')
check('grant execute again', box.schema.user.grant, 'u', 'execute', 'function', 'f1')
check('grant usage', box.schema.user.grant, 'u', 'usage', 'function', 'f1')
check('grant by id', box.schema.user.grant, 'u', 'drop', 'function', box.space._func.index.name:get{'f2'}[1])
show('u info', box.schema.user.info('u'))
local f1id = box.space._func.index.name:get{'f1'}[1]
check('drop', box.schema.func.drop, 'f1')
show('f1 gone', {frow('f1'), #box.space._priv.index.object:select{'function', f1id}})
show('u info after drop', box.schema.user.info('u'))
check('drop again', box.schema.func.drop, 'f1')
check('drop if_exists', box.schema.func.drop, 'f1', {if_exists = true})
check('drop bad option', box.schema.func.drop, 'f2', {foo = true})
check('drop by id', box.schema.func.drop, box.space._func.index.name:get{'f2'}[1])
show('f2 gone', frow('f2'))
check('drop missing id', box.schema.func.drop, 99999)
check('auto ids', function()
    box.schema.func.create('g1')
    box.schema.func.create('g2')
    return box.space._func.index.name:get{'g2'}[1] - box.space._func.index.name:get{'g1'}[1]
end)
os.exit(0)
