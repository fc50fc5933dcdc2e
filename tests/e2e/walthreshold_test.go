package e2e

import (
	"strings"
	"testing"
)

// walThresholdScript writes past checkpoint_wal_threshold and waits for
// the checkpoint it triggers, twice, then lifts the threshold at run
// time and checks that writing on triggers none.
const walThresholdScript = `
local fiber = require('fiber')
box.cfg{work_dir = os.getenv('WORK_DIR'), checkpoint_wal_threshold = 2000}
local s = box.schema.space.create('t')
s:create_index('pk')
local function newest() local c = box.info.gc().checkpoints return c[#c].signature end
local function wait_checkpoint_after(sig)
    for _ = 1, 500 do
        if newest() > sig then return true end
        fiber.sleep(0.01)
    end
    return false
end
local n = 0
local function write(rows)
    for _ = 1, rows do n = n + 1 s:insert{n, string.rep('x', 100)} end
end
local first = newest()
write(5)
fiber.sleep(0.2)
print('under the threshold', newest() == first)
write(20)
print('first', wait_checkpoint_after(first))
local second = newest()
write(25)
print('second', wait_checkpoint_after(second))
-- box.NULL puts back the default, 1e18: no threshold.
box.cfg{checkpoint_wal_threshold = box.NULL}
fiber.sleep(0.2)
local last = newest()
write(50)
fiber.sleep(0.3)
print('lifted', newest() == last)
os.exit(0)
`

// TestCheckpointWALThreshold runs walThresholdScript on Spindle and, when
// installed, on tarantool 2.6: both make a checkpoint each time the WAL
// grows past checkpoint_wal_threshold and log why.
func TestCheckpointWALThreshold(t *testing.T) {
	want := "under the threshold\ttrue\nfirst\ttrue\nsecond\ttrue\nlifted\ttrue"
	forBoth(t, func(t *testing.T, bin string) {
		out, log := runStep(t, bin, t.TempDir(), walThresholdScript)
		if got := strings.TrimSpace(out); got != want {
			t.Fatalf("got:\n%s\nwant:\n%s\nlog:\n%s", got, want, log)
		}
		// How many checkpoints the writes trigger depends on when the
		// daemon runs; at least the two waited for.
		if n := strings.Count(log, "main I> WAL threshold exceeded, triggering checkpoint"); n < 2 {
			t.Fatalf("%d threshold lines in the log, want 2 or more:\n%s", n, log)
		}
	})
}
