-- Run twice on one data directory: temporary spaces keep their definition
-- but not their data across a restart; is_local spaces keep both.
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 1}
if box.space.tmp == nil then
    box.schema.space.create('tmp', {temporary = true}):create_index('pk')
    box.schema.space.create('loc', {is_local = true}):create_index('pk')
    box.schema.space.create('reg'):create_index('pk')
    for i = 1, 3 do
        box.space.tmp:insert{i}
        box.space.loc:insert{i, 'local'}
        box.space.reg:insert{i, 'regular'}
    end
    print('first run', box.space.tmp:count(), box.space.loc:count(), box.space.reg:count())
    print('vclock', box.info.vclock[0] ~= nil, box.info.vclock[1])
    box.snapshot()
    box.space.loc:insert{4, 'after snapshot'}
    box.space.tmp:insert{4}
else
    print('second run', box.space.tmp:count(), box.space.loc:count(), box.space.reg:count())
    print('temporary', box.space.tmp.temporary, 'local', box.space.loc.is_local)
    print(box.space.loc:get{4})
end
os.exit(0)
