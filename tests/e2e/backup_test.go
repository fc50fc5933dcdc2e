package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// backupScript pins a checkpoint with box.backup.start, writes and
// checkpoints on with checkpoint_count = 1, prints box.info.gc() and the
// files kept, copies the pinned snapshot and the xlogs into restore/,
// then releases the pin and checks what the collector removes, and the
// errors of box.backup.start.
const backupScript = `
local fio = require('fio')
local yaml = require('yaml')
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 1, checkpoint_count = 1}
-- show prints a value with its keys sorted: table order is the hash's
-- and differs between LuaJIT builds (and runs).
local function show(v)
    if type(v) ~= 'table' then return tostring(v) end
    local keys = {}
    for k in pairs(v) do table.insert(keys, k) end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do table.insert(parts, tostring(k) .. '=' .. show(v[k])) end
    return '{' .. table.concat(parts, ', ') .. '}'
end
local function ls()
    local names = fio.glob('*.snap')
    for _, x in ipairs(fio.glob('*.xlog')) do table.insert(names, x) end
    table.sort(names)
    print(table.concat(names, ' '))
end
local s = box.schema.space.create('t')
s:create_index('pk')
print(yaml.encode({pcall(box.backup.start, 1)}))
print(type(box.info().gc), type(box.info.gc))
s:insert{1}
box.snapshot()
local files = box.backup.start()
print(yaml.encode(files))
print(yaml.encode({pcall(box.backup.start)}))
s:insert{2}
box.snapshot()
s:insert{3}
box.snapshot()
s:insert{4}
print(show(box.info.gc()))
ls()
fio.mkdir('restore')
fio.copyfile(files[1], 'restore/')
for _, x in ipairs(fio.glob('*.xlog')) do fio.copyfile(x, 'restore/') end
box.backup.stop()
require('fiber').sleep(0.2)
print(show(box.info.gc()))
ls()
print(yaml.encode({box.backup.start()}))
box.backup.stop()
box.backup.stop()
print(yaml.encode({pcall(box.backup.start, -1)}))
print(yaml.encode({pcall(box.backup.start, 'x')}))
print(yaml.encode({pcall(box.backup.start, '0')}))
box.backup.stop()
print(yaml.encode(box.info.vclock))
os.exit(0)
`

// restoreScript starts on the copied files.
const restoreScript = `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 1}
print('restored', box.space.t:count(), box.space.t.index.pk:max()[1], box.info.signature)
os.exit(0)
`

// backupWant is what tarantool 2.6 prints for backupScript and
// restoreScript.
const backupWant = `---
- false
- Can't find snapshot
...

table	table
---
- ./00000000000000000004.snap
...

---
- false
- Backup is already in progress
...

{checkpoint_is_in_progress=false, checkpoints={1={references={1=backup}, signature=4, vclock={1=4}}, 2={references={}, signature=5, vclock={1=5}}, 3={references={}, signature=6, vclock={1=6}}}, consumers={}, signature=4, vclock={1=4}}
00000000000000000004.snap 00000000000000000004.xlog 00000000000000000005.snap 00000000000000000005.xlog 00000000000000000006.snap 00000000000000000006.xlog
{checkpoint_is_in_progress=false, checkpoints={1={references={}, signature=6, vclock={1=6}}}, consumers={}, signature=6, vclock={1=6}}
00000000000000000006.snap 00000000000000000006.xlog
---
- - ./00000000000000000006.snap
...

---
- false
- invalid checkpoint index
...

---
- false
- 'bad argument #1 to ''?'' (number expected, got string)'
...

---
- true
- - ./00000000000000000006.snap
...

--- {1: 7}
...
restored	4	4	7`

// TestBackup: box.backup.start pins a checkpoint and the xlogs after it
// past checkpoint_count, the pinned files restore the instance, and
// box.backup.stop lets the collector remove them; box.info.gc() shows
// it all. Spindle prints what tarantool 2.6 prints, which is checked
// against the reference too when it is installed.
func TestBackup(t *testing.T) {
	run := func(t *testing.T, bin string) string {
		dir := t.TempDir()
		out, _ := runStep(t, bin, dir, backupScript)
		restored, _ := runStep(t, bin, filepath.Join(dir, "restore"), restoreScript)
		return strings.TrimSpace(out) + "\n" + strings.TrimSpace(restored)
	}
	forBoth(t, func(t *testing.T, bin string) {
		if got := run(t, bin); got != backupWant {
			t.Fatalf("got:\n%s\nwant (what tarantool 2.6 prints):\n%s", got, backupWant)
		}
	})
}
