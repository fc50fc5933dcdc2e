-- The instance file's session is a background session.
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
print(box.session.type(), box.session.sync(), box.session.fd(), box.session.peer())
print(box.session.push({1, 2}))
print(pcall(box.session.push))
print(pcall(box.session.push, 1, 2))
print(box.session.exists(box.session.id()), box.session.exists(box.session.id() + 1000))
print(pcall(box.session.peer, box.session.id() + 1000))
require('fiber').create(function()
    print('fiber', box.session.type(), box.session.push('x'))
end)
os.exit(0)
