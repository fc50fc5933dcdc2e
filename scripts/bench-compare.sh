#!/usr/bin/env bash
# Runs the same IPROTO load against Spindle and against the reference
# Tarantool 2.6 on this machine, one after the other, and prints ops/s and
# latency for each with the Spindle/Tarantool throughput ratio.
#
#   scripts/bench-compare.sh [duration] [connections] [in-flight]
#   MIXES='call=100 eval=100' scripts/bench-compare.sh ...   (a subset of mixes)
#
# Both servers run from the same instance file with wal_mode = 'none' (Spindle
# has no WAL yet, so this compares the request path, not durability).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10s}
CONNS=${2:-4}
INFLIGHT=${3:-32}
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

printf '%-28s %14s %14s %8s %12s %12s\n' mix spindle_ops tarantool_ops ratio sp_p99_us tt_p99_us
for mix in ${MIXES:-select=100 replace=100 replace=50,select=50 update=100 ping=100 call=100 eval=100}; do
    sp=$(bin/spindle bench -json -d "$DUR" -c "$CONNS" -p "$INFLIGHT" -mix "$mix" 127.0.0.1:3411)
    tt=$(bin/spindle bench -json -d "$DUR" -c "$CONNS" -p "$INFLIGHT" -mix "$mix" 127.0.0.1:3412)
    python3 - "$mix" "$sp" "$tt" <<'PY'
import json, sys
mix, sp, tt = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
s, t = sp["total"], tt["total"]
for name, r in (("spindle", sp), ("tarantool", tt)):
    if r["total"]["errors"]:
        print("%s errors: %s %s" % (name, r["errors_by_code"], r.get("first_error")), file=sys.stderr)
print("%-28s %14.0f %14.0f %8.2f %12.0f %12.0f" % (mix, s["ops_per_sec"], t["ops_per_sec"],
      s["ops_per_sec"] / t["ops_per_sec"], s["p99_us"], t["p99_us"]))
PY
done
