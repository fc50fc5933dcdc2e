#!/usr/bin/env bash
# Persistence benchmark, Spindle vs the reference Tarantool 2.6 on this
# machine, loaded in turn:
#   1. write throughput (REPLACE) per wal_mode under three load shapes
#      (SHAPES, connections x requests in flight each: one client waiting for
#      each reply, 16 such clients, 4 connections x 32 pipelined), ROUNDS
#      (default 5) alternating rounds per server and shape, medians;
#   2. 1M tuples of ~100 bytes: load time, RSS right after the load and
#      2 s later (idle), box.snapshot() time;
#   3. restart on those files: recovery time (box.cfg duration) and RSS.
#
#   scripts/bench-persist.sh [duration] [tuples]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-3s}
N=${2:-1000000}
ROUNDS=${ROUNDS:-5}
SHAPES=${SHAPES:-1x1 16x1 4x32}
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/serve.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), wal_mode = os.getenv('WAL_MODE'), log_level = 2}
box.schema.user.grant('guest', 'read,write,execute', 'universe', nil, {if_not_exists = true})
box.schema.space.create('bench', {if_not_exists = true}):create_index('pk', {parts = {1, 'unsigned'}, if_not_exists = true})
LUA

cat > "$tmp/load.lua" <<'LUA'
local clock = require('clock')
local function rss_mb()
    local f = io.open('/proc/self/status')
    local s = f:read('*a')
    f:close()
    return tonumber(string.match(s, 'VmRSS:%s*(%d+)')) / 1024
end
local N = tonumber(os.getenv('N'))
local t0 = clock.time()
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2, memtx_memory = 2 * 1024 * 1024 * 1024}
local t1 = clock.time()
local s = box.space.bench
if s == nil then
    s = box.schema.space.create('bench')
    s:create_index('pk', {parts = {1, 'unsigned'}})
    local pad = string.rep('x', 88)
    box.begin()
    for i = 1, N do
        s:replace{i, pad, i}
        if i % 1000 == 0 then box.commit() box.begin() end
    end
    box.commit()
    local t2 = clock.time()
    print(string.format('load %d tuples: %.2f s, rss %.0f MB', s:len(), t2 - t1, rss_mb()))
    require('fiber').sleep(2)
    print(string.format('rss 2 s after the load: %.0f MB', rss_mb()))
    local t3 = clock.time()
    box.snapshot()
    print(string.format('snapshot: %.2f s', clock.time() - t3))
else
    print(string.format('recovery of %d tuples: %.2f s, rss %.0f MB', s:len(), t1 - t0, rss_mb()))
end
os.exit(0)
LUA

wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; then sleep 0.5; return; fi
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2; exit 1
}

echo "== write throughput, REPLACE, $ROUNDS rounds of $DUR per server and load shape"
echo "   (both servers up at once, loaded in turn, the order alternating per round; medians;"
echo "   shape: connections x requests in flight per connection)"
printf '%-8s %-6s %14s %14s %8s   %s\n' wal_mode shape spindle_ops tarantool_ops ratio 'ratio per round'
port=3420
for mode in none write fsync; do
    declare -A pids=() ports=()
    for name in spindle tarantool; do
        bin=$PWD/bin/spindle; [ $name = tarantool ] && bin=$(command -v tarantool)
        d="$tmp/w-$name-$mode"; mkdir -p "$d"; port=$((port + 1)); ports[$name]=$port
        (cd "$d" && LISTEN=127.0.0.1:$port WORK_DIR="$d" WAL_MODE=$mode exec "$bin" "$tmp/serve.lua" >"$d/log" 2>&1) &
        pids[$name]=$!
        wait_port $port
    done
    for shape in $SHAPES; do
        conns=${shape%x*} inflight=${shape#*x}
        s_ops=() t_ops=()
        for r in $(seq "$ROUNDS"); do
            order="spindle tarantool"; [ $((r % 2)) = 0 ] && order="tarantool spindle"
            for name in $order; do
                v=$(bin/spindle bench -json -d "$DUR" -c "$conns" -p "$inflight" -mix replace=100 127.0.0.1:${ports[$name]} | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["total"]["ops_per_sec"]))')
                if [ $name = spindle ]; then s_ops+=("$v"); else t_ops+=("$v"); fi
            done
        done
        python3 - "$mode" "$shape" "${s_ops[*]}" "${t_ops[*]}" <<'PY'
import statistics, sys
mode, shape, s, t = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split()], [int(x) for x in sys.argv[4].split()]
ratios = [a / b for a, b in zip(s, t)]
print('%-8s %-6s %14d %14d %8.2f   %s' % (mode, shape, statistics.median(s), statistics.median(t),
      statistics.median(ratios), ' '.join('%.2f' % r for r in ratios)))
PY
    done
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
done

echo "== $N tuples of ~100 bytes"
for name in spindle tarantool; do
    bin=$PWD/bin/spindle; [ $name = tarantool ] && bin=$(command -v tarantool)
    d="$tmp/p-$name"; mkdir -p "$d"
    echo "-- $name"
    (cd "$d" && N=$N WORK_DIR="$d" "$bin" "$tmp/load.lua")
    (cd "$d" && N=$N WORK_DIR="$d" "$bin" "$tmp/load.lua")
done
