package e2e

import (
	"strconv"
	"testing"
)

// TestTriggerWritesSurviveRestart: a before_replace trigger that writes to
// another space while the outer insert is executing (the outer tuple and
// the trigger's must stay apart), then a restart from the WAL: both
// spaces hold exactly what was written.
func TestTriggerWritesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	script := `
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
if box.space.a == nil then
    box.schema.space.create('a'):create_index('pk')
    box.schema.space.create('b'):create_index('pk')
end
box.space.a:before_replace(function(old, new)
    if new ~= nil then box.space.b:replace{new[1], string.rep('t', new[1] % 7), 'from trigger'} end
    return new
end)
if box.space.a:count() == 0 then
    for i = 1, 200 do box.space.a:insert{i, string.rep('x', i % 13)} end
end
local sum = 0
for _, t in box.space.a:pairs() do sum = sum + t[1] + #t[2] end
for _, t in box.space.b:pairs() do sum = sum + t[1] * 3 + #t[2] + #t[3] end
print(box.space.a:count(), box.space.b:count(), sum)
os.exit(0)
`
	first, code := runScriptSource(t, dir, script)
	if code != 0 {
		t.Fatalf("first run exited %d: %s", code, first)
	}
	second, code := runScriptSource(t, dir, script)
	if code != 0 || second != first || first == "" {
		t.Fatalf("after restart %q (exit %d), before %q", second, code, first)
	}
	if first != "200\t200\t"+sumWant()+"\n" {
		t.Fatalf("data %q", first)
	}
}

// sumWant is the checksum the script prints for its data.
func sumWant() string {
	sum := 0
	for i := 1; i <= 200; i++ {
		sum += i + i%13
		sum += i*3 + i%7 + len("from trigger")
	}
	return strconv.Itoa(sum)
}
