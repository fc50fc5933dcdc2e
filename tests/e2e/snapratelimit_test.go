package e2e

import (
	"strings"
	"testing"
)

// snapRateLimitScript snapshots about 3 MB of incompressible tuples with
// snap_io_rate_limit = 1 (MB/s), then again with the limit lifted at run
// time.
const snapRateLimitScript = `
local clock = require('clock')
local digest = require('digest')
box.cfg{work_dir = os.getenv('WORK_DIR'), snap_io_rate_limit = 1}
local s = box.schema.space.create('t')
s:create_index('pk')
box.begin()
for i = 1, 30000 do
    s:insert{i, digest.urandom(100)}
    if i % 1000 == 0 then box.commit() box.begin() end
end
box.commit()
local t0 = clock.monotonic()
box.snapshot()
local limited = clock.monotonic() - t0
box.cfg{snap_io_rate_limit = box.NULL}
s:insert{0}
t0 = clock.monotonic()
box.snapshot()
local unlimited = clock.monotonic() - t0
-- The 2 MB checked against the limit take at least two seconds.
print('limited', limited >= 1.9, 'lifted', unlimited < limited / 2)
os.exit(0)
`

// TestSnapIORateLimit: snap_io_rate_limit holds a snapshot's writing to
// the configured megabytes per second, on Spindle and on tarantool 2.6.
func TestSnapIORateLimit(t *testing.T) {
	forBoth(t, func(t *testing.T, bin string) {
		out, log := runStep(t, bin, t.TempDir(), snapRateLimitScript)
		if got := strings.TrimSpace(out); got != "limited\ttrue\tlifted\ttrue" {
			t.Fatalf("got %q\nlog:\n%s", got, log)
		}
	})
}
