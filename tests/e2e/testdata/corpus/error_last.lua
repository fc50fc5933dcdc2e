-- box.error.last() and box.error.clear() follow the fiber's last error.
print(box.error.last())
pcall(box.error, box.error.NO_SUCH_USER, 'x')
print(box.error.last())
box.error.clear()
print(box.error.last())
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
print(pcall(box.space._space.insert, box.space._space, {1}))
print(box.error.last())
os.exit(0)
