#!/usr/bin/env bash
# Runs the same IPROTO load against Spindle and against the reference
# Tarantool 2.6 on this machine, one after the other, and prints ops/s and
# latency for each with the Spindle/Tarantool throughput ratio.
#
#   scripts/bench-compare.sh [duration] [connections] [in-flight]
#   MIXES='call=100 eval=100' scripts/bench-compare.sh ...   (a subset of mixes)
#   ROUNDS=5 scripts/bench-compare.sh ...   (rounds per mix, default 3)
#
# Both servers are up at once and loaded in turn, ROUNDS times per mix with
# the order alternating; the table gives medians (ops/s, p99) and the
# median of the per-round ratios. Both run with wal_mode = 'none': this
# compares the request path, not the disk.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5s}
CONNS=${2:-4}
INFLIGHT=${3:-32}
ROUNDS=${ROUNDS:-3}
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat > "$tmp/bench.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), wal_mode = 'none', log_level = 2}
box.schema.user.grant('guest', 'read,write,execute', 'universe', nil, {if_not_exists = true})
local s = box.schema.space.create('bench', {if_not_exists = true})
s:create_index('pk', {parts = {1, 'unsigned'}, if_not_exists = true})
for i = 1, 100000 do s:replace{i, 'initial-payload-', 0} end
function bench_nop() end
LUA

start() { # name binary port
    mkdir -p "$tmp/$1"
    (cd "$tmp/$1" && LISTEN=127.0.0.1:$3 WORK_DIR="$tmp/$1" exec "$2" "$tmp/bench.lua" >"$tmp/$1.log" 2>&1) &
    for _ in $(seq 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/$3) 2>/dev/null; then sleep 1; return; fi
        sleep 0.1
    done
    echo "$1 did not start" >&2; cat "$tmp/$1.log" >&2; exit 1
}

start spindle "$PWD/bin/spindle" 3411
start tarantool "$(command -v tarantool)" 3412

printf '%-28s %14s %14s %8s %12s %12s   %s\n' mix spindle_ops tarantool_ops ratio sp_p99_us tt_p99_us 'ratio per round'
for mix in ${MIXES:-select=100 replace=100 replace=50,select=50 update=100 ping=100 call=100 eval=100}; do
    : > "$tmp/sp.json"; : > "$tmp/tt.json"
    for r in $(seq "$ROUNDS"); do
        # The order alternates so that neither server always runs first.
        order="3411 3412"; [ $((r % 2)) = 0 ] && order="3412 3411"
        for port in $order; do
            out="$tmp/sp.json"; [ $port = 3412 ] && out="$tmp/tt.json"
            bin/spindle bench -json -d "$DUR" -c "$CONNS" -p "$INFLIGHT" -mix "$mix" 127.0.0.1:$port | tr -d '\n' >> "$out"
            echo >> "$out"
        done
    done
    python3 - "$mix" "$tmp/sp.json" "$tmp/tt.json" <<'PY'
import json, statistics, sys
mix = sys.argv[1]
sp = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
tt = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
for name, runs in (("spindle", sp), ("tarantool", tt)):
    for r in runs:
        if r["total"]["errors"]:
            print("%s errors: %s %s" % (name, r["errors_by_code"], r.get("first_error")), file=sys.stderr)
med = lambda runs, k: statistics.median(r["total"][k] for r in runs)
ratios = [a["total"]["ops_per_sec"] / b["total"]["ops_per_sec"] for a, b in zip(sp, tt)]
print("%-28s %14.0f %14.0f %8.2f %12.0f %12.0f   %s" % (mix, med(sp, "ops_per_sec"), med(tt, "ops_per_sec"),
      statistics.median(ratios), med(sp, "p99_us"), med(tt, "p99_us"), " ".join("%.2f" % r for r in ratios)))
PY
done
