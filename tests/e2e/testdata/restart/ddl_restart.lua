-- Run twice on one data directory: schema objects survive a restart.
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 1}
if box.space.t == nil then
    local s = box.schema.space.create('s', {format = {{'id', 'unsigned'}, {'name', 'string'}}})
    s:create_index('pk', {sequence = true})
    s:create_index('name', {parts = {'name'}, unique = false})
    s:insert{box.NULL, 'a'}
    s:insert{box.NULL, 'b'}
    box.schema.user.create('u', {password = 'p'})
    box.schema.user.grant('u', 'read', 'space', 's')
    box.schema.role.create('r')
    box.schema.func.create('f')
    s:rename('t')
    box.space.t.index.name:rename('by_name')
    print('first run', box.space.t:count())
else
    local s = box.space.t
    print('second run', s:count(), s.index.by_name.id, #s:format(), s:format()[2].name)
    print(s:insert{box.NULL, 'c'})
    print(box.schema.user.exists('u'), box.schema.role.exists('r'), box.schema.func.exists('f'))
    print(box.space._priv.index.object:count{'space', s.id})
    print(box.sequence.s_seq ~= nil, tonumber(box.sequence.s_seq:current()))
end
os.exit(0)
