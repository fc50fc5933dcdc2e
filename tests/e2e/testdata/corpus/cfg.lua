-- box.cfg option checks before and after the first call.
print(pcall(box.cfg, {foo = 1}))
print(pcall(box.cfg, {listen = true}))
print(pcall(box.cfg, {read_only = 'yes'}))
print(pcall(box.cfg, {memtx_memory = '1'}))
print(pcall(box.cfg, {replication = false}))
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 4}
print(type(box.cfg), box.cfg.read_only, box.cfg.memtx_memory, box.cfg.log_level)
print(box.cfg.listen, box.cfg.wal_mode, box.cfg.replication_timeout)
print(pcall(box.cfg, {work_dir = '/nonexistent'}))
print(pcall(box.cfg, {wal_mode = 'none'}))
print(pcall(box.cfg, {bar = 1}))
box.cfg{read_only = true}
print(box.cfg.read_only, box.info.ro)
box.cfg{read_only = false}
print(box.cfg.read_only, box.info.ro)
print(box.info.status, box.info.id, box.info.lsn >= 0, type(box.info.uuid), #box.info.uuid)
print(type(box.info()), box.info.cluster.uuid ~= nil, box.info.pid > 0)
os.exit(0)
