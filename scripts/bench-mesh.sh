#!/usr/bin/env bash
# Full-mesh write benchmark, Spindle vs the reference Tarantool 2.6 on this
# machine, one after the other: three masters of the same kind bootstrapped
# from one instance file (each lists all three), a REPLACE load on all
# three at once for the given duration, each master writing its own space
# (bench1..bench3, so no two masters touch the same key). Reports
#   - acknowledged: rows/s the three masters confirmed to their clients;
#   - replicated:   rows/s counted until every member held every row (all
#                   three vclocks equal), from the start of the load;
#   - the Spindle/Tarantool ratio of both.
#
#   scripts/bench-mesh.sh [duration] [connections per master] [in-flight]
#   SPINDLE_BIN=/path/to/spindle scripts/bench-mesh.sh ...  (skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5s}
CONNS=${2:-2}
INFLIGHT=${3:-32}
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
SP=${SPINDLE_BIN:-$PWD/bin/spindle}
[ -n "${SPINDLE_BIN:-}" ] || go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/mesh.lua" <<'LUA'
local peers = {}
for uri in string.gmatch(os.getenv('PEERS'), '[^,]+') do
    table.insert(peers, 'replicator:password@' .. uri)
end
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), log_level = 2,
        replication = peers, replication_connect_timeout = 60,
        memtx_memory = 512 * 1024 * 1024}
box.once('bench', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    for i = 1, 3 do
        box.schema.space.create('bench' .. i):create_index('pk', {parts = {1, 'unsigned'}})
    end
end)
io.stdout:write('mesh ready\n') io.stdout:flush()
LUA
# monitor.lua (run by tarantool as a client): notes the vclocks before the
# load, waits for DONE to appear (the load is over), then until the three
# members' vclocks are equal; prints the rows written and the seconds from
# the start of the load (the time in T0FILE) until every member had them.
cat > "$tmp/monitor.lua" <<'LUA'
local net = require('net.box')
local fiber = require('fiber')
local clock = require('clock')
local fio = require('fio')
local cs = {}
for a in string.gmatch(os.getenv('MEMBERS'), '[^,]+') do table.insert(cs, net.connect(a)) end
local function vc(c)
    return c:eval('local v, t = box.info.vclock, {} for i = 1, 31 do t[i] = v[i] or 0 end return t')
end
local function sum(v) local s = 0 for i = 1, 31 do s = s + v[i] end return s end
local before = sum(vc(cs[1]))
io.stdout:write('monitor ready\n') io.stdout:flush()
local deadline = clock.time() + 600
while not fio.path.exists(os.getenv('DONE')) and clock.time() < deadline do fiber.sleep(0.01) end
-- every member must hold every row within 120 s of the end of the load
deadline = clock.time() + 120
while true do
    local v1, same = vc(cs[1]), true
    for k = 2, #cs do
        local v = vc(cs[k])
        for i = 1, 31 do if v[i] ~= v1[i] then same = false end end
    end
    if same then
        local f = io.open(os.getenv('T0FILE'))
        local t = clock.time() - tonumber(f:read('*l'))
        f:close()
        print(string.format('%d %.3f', sum(v1) - before, t))
        break
    end
    if clock.time() > deadline then
        print('the members did not converge within 120 s of the end of the load:')
        for k, c in ipairs(cs) do
            print(string.format('member %d: vclock %s', k, require('json').encode(vc(c))))
            for id, r in pairs(c:eval('return box.info.replication')) do
                local u = r.upstream
                if u ~= nil then
                    print(string.format('  upstream %d: %s %s', id, u.status, u.message or ''))
                end
            end
        end
        os.exit(1)
    end
    fiber.sleep(0.005)
end
os.exit(0)
LUA

wait_line() { # file line
    for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.1; done
    echo "timeout waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

port=3520
declare -A ACK REPL
for name in spindle tarantool; do
    bin=$SP; [ $name = tarantool ] && bin=$(command -v tarantool)
    ports=($((port + 1)) $((port + 2)) $((port + 3))); port=$((port + 3))
    peers="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
    pids=()
    for i in 0 1 2; do
        d="$tmp/$name-$i"; mkdir -p "$d"
        (cd "$d" && LISTEN=127.0.0.1:${ports[$i]} WORK_DIR="$d" PEERS=$peers exec "$bin" "$tmp/mesh.lua" >"$d/out" 2>&1) &
        pids+=($!)
    done
    for i in 0 1 2; do wait_line "$tmp/$name-$i/out" 'mesh ready'; done
    sleep 1 # let every link reach follow
    rm -f "$tmp/done"
    (MEMBERS=$peers DONE="$tmp/done" T0FILE="$tmp/t0" tarantool "$tmp/monitor.lua" > "$tmp/$name-mon" 2>&1) &
    mon=$!
    wait_line "$tmp/$name-mon" 'monitor ready'
    date +%s.%N > "$tmp/t0"
    benches=()
    for i in 0 1 2; do
        "$SP" bench -json -d "$DUR" -c "$CONNS" -p "$INFLIGHT" -mix replace=100 -keys 100000000 \
            -space bench$((i + 1)) 127.0.0.1:${ports[$i]} > "$tmp/$name-bench$i" &
        benches+=($!)
    done
    for b in "${benches[@]}"; do wait "$b"; done
    touch "$tmp/done"
    if ! wait $mon; then
        echo "-- $name: replication broke down under the load" >&2
        cat "$tmp/$name-mon" >&2
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        exit 1
    fi
    read -r rows secs < <(tail -1 "$tmp/$name-mon")
    ack=$(python3 - "$tmp/$name-bench0" "$tmp/$name-bench1" "$tmp/$name-bench2" <<'PY'
import json, sys
tot, errs = 0.0, 0
for p in sys.argv[1:]:
    r = json.load(open(p))
    tot += r["total"]["ops_per_sec"]
    errs += r["total"]["errors"]
    if r["total"]["errors"]:
        print("%s errors: %s %s" % (p, r["errors_by_code"], r.get("first_error")), file=sys.stderr)
print(round(tot))
PY
)
    ACK[$name]=$ack
    REPL[$name]=$(python3 -c "print(round($rows / $secs))")
    echo "-- $name: 3 masters, $CONNS connections x $INFLIGHT in flight each, $DUR"
    echo "acknowledged: $ack rows/s; replicated to all three: $rows rows in $secs s = ${REPL[$name]} rows/s"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
done
python3 -c "print('spindle/tarantool: acknowledged %.2f, replicated %.2f' % (${ACK[spindle]} / ${ACK[tarantool]}, ${REPL[spindle]} / ${REPL[tarantool]}))"
