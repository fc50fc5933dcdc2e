#!/usr/bin/env bash
# Lua-bound work side by side: Spindle and the reference Tarantool 2.6 on
# this machine.
#
#   scripts/bench-lua.sh [duration] [connections] [in-flight]
#   FNS='bench_json bench_loop' scripts/bench-lua.sh ...   (a subset of the CALLs)
#   ROUNDS=5 scripts/bench-lua.sh ...                      (rounds, default 3)
#
# Part 1 loads both servers with CALLs of Lua procedures, ROUNDS times per
# procedure with the order alternating, and prints median ops/s and the
# median of the per-round Spindle/Tarantool ratios:
#   bench_sum    10 tuples by a secondary index, a field summed
#   bench_json   a table built and json.encode'd
#   bench_loop   a 1000-iteration arithmetic loop
#   bench_atomic five replaces in box.atomic
# Both run with wal_mode = 'none': this measures Lua and box, not the disk.
# Part 2 runs pure-Lua loops in one process of each (no box) and prints
# the time of each and the Tarantool/Spindle time ratio (above 1: Spindle
# is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5s}
CONNS=${2:-4}
INFLIGHT=${3:-16}
ROUNDS=${ROUNDS:-3}
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat > "$tmp/bench.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), wal_mode = 'none', log_level = 2}
box.schema.user.grant('guest', 'read,write,execute', 'universe', nil, {if_not_exists = true})
local s = box.schema.space.create('lua', {if_not_exists = true})
s:create_index('pk', {parts = {1, 'unsigned'}, if_not_exists = true})
s:create_index('grp', {parts = {2, 'unsigned'}, unique = false, if_not_exists = true})
for i = 1, 100000 do s:replace{i, i % 10000, i * 3, 'payload-' .. i} end
local w = box.schema.space.create('w', {if_not_exists = true})
w:create_index('pk', {parts = {1, 'unsigned'}, if_not_exists = true})
local json = require('json')
function bench_nop() end
function bench_sum(key)
    local sum = 0
    for _, t in ipairs(box.space.lua.index.grp:select(key % 10000)) do
        sum = sum + t[3]
    end
    return sum
end
function bench_json(key)
    return json.encode({id = key, name = 'user-' .. key, tags = {'a', 'b', 'c'},
                        score = key * 1.5, active = true, nested = {x = 1, y = 2, z = {key}}})
end
function bench_loop(key)
    local acc = 0
    for i = 1, 1000 do
        acc = (acc + i * key) % 1000003
    end
    return acc
end
function bench_atomic(key)
    local base = (key % 20000) * 5
    box.atomic(function()
        for i = 1, 5 do
            box.space.w:replace{base + i, key, 'v'}
        end
    end)
end
LUA

start() { # name binary port
    mkdir -p "$tmp/$1"
    (cd "$tmp/$1" && LISTEN=127.0.0.1:$3 WORK_DIR="$tmp/$1" exec "$2" "$tmp/bench.lua" >"$tmp/$1.log" 2>&1) &
    for _ in $(seq 200); do
        if (exec 3<>/dev/tcp/127.0.0.1/$3) 2>/dev/null; then sleep 1; return; fi
        sleep 0.1
    done
    echo "$1 did not start" >&2; cat "$tmp/$1.log" >&2; exit 1
}

start spindle "$PWD/bin/spindle" 3421
start tarantool "$(command -v tarantool)" 3422

printf '%-14s %14s %14s %8s %12s %12s   %s\n' call spindle_ops tarantool_ops ratio sp_p99_us tt_p99_us 'ratio per round'
for fn in ${FNS:-bench_sum bench_json bench_loop bench_atomic}; do
    : > "$tmp/sp.json"; : > "$tmp/tt.json"
    for r in $(seq "$ROUNDS"); do
        order="3421 3422"; [ $((r % 2)) = 0 ] && order="3422 3421"
        for port in $order; do
            out="$tmp/sp.json"; [ $port = 3422 ] && out="$tmp/tt.json"
            bin/spindle bench -json -d "$DUR" -c "$CONNS" -p "$INFLIGHT" -mix call=100 -space lua -fn "$fn" 127.0.0.1:$port | tr -d '\n' >> "$out"
            echo >> "$out"
        done
    done
    python3 - "$fn" "$tmp/sp.json" "$tmp/tt.json" <<'PY'
import json, statistics, sys
fn = sys.argv[1]
sp = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
tt = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
for name, runs in (("spindle", sp), ("tarantool", tt)):
    for r in runs:
        if r["total"]["errors"]:
            print("%s errors: %s %s" % (name, r["errors_by_code"], r.get("first_error")), file=sys.stderr)
med = lambda runs, k: statistics.median(r["total"][k] for r in runs)
ratios = [a["total"]["ops_per_sec"] / b["total"]["ops_per_sec"] for a, b in zip(sp, tt)]
print("%-14s %14.0f %14.0f %8.2f %12.0f %12.0f   %s" % (fn, med(sp, "ops_per_sec"), med(tt, "ops_per_sec"),
      statistics.median(ratios), med(sp, "p99_us"), med(tt, "p99_us"), " ".join("%.2f" % r for r in ratios)))
PY
done

# Part 2: pure Lua in one process.
cat > "$tmp/pure.lua" <<'LUA'
local clock = require('clock')
local json = require('json')
local function run(name, n, fn)
    fn(math.floor(n / 10))
    local best = math.huge
    for _ = 1, 5 do
        local t0 = clock.monotonic()
        fn(n)
        best = math.min(best, clock.monotonic() - t0)
    end
    print(string.format('%s %.6f', name, best))
end
run('arith', 2e7, function(n) local s = 0 for i = 1, n do s = (s + i * 7) % 1000003 end return s end)
run('gsub_find', 2e5, function(n)
    local s = 'the quick brown fox jumps over the lazy dog'
    local c = 0
    for _ = 1, n do
        local r = s:gsub('o', '0')
        if r:find('f0x', 1, true) then c = c + 1 end
        if s:find('l%a+') then c = c + 1 end
    end
    return c
end)
run('format', 5e5, function(n)
    local t = {}
    for i = 1, n do t[i % 100 + 1] = string.format('%d:%s:%.2f', i, 'k', i / 3) end
    return t
end)
run('table_store', 2e6, function(n)
    local t = {}
    for i = 1, n do t['k' .. (i % 1000)] = i end
    return t
end)
run('json', 2e5, function(n)
    local v = {id = 1, name = 'x', list = {1, 2, 3}, map = {a = true}}
    for _ = 1, n do json.decode(json.encode(v)) end
end)
run('closures', 2e6, function(n)
    local acc = 0
    local function add(x) return function(y) return x + y end end
    for i = 1, n do acc = add(i)(acc) % 1000003 end
    return acc
end)
os.exit(0)
LUA
(cd "$tmp" && bin_sp="$OLDPWD/bin/spindle"; "$bin_sp" pure.lua > sp_pure.txt; tarantool pure.lua > tt_pure.txt)
echo
printf '%-14s %12s %12s %8s\n' pure_lua spindle_s tarantool_s tt/sp
python3 - "$tmp/sp_pure.txt" "$tmp/tt_pure.txt" <<'PY'
import sys
sp = dict(l.split() for l in open(sys.argv[1]) if l.strip())
tt = dict(l.split() for l in open(sys.argv[2]) if l.strip())
for k in sp:
    a, b = float(sp[k]), float(tt[k])
    print("%-14s %12.4f %12.4f %8.2f" % (k, a, b, b / a if a else 0))
PY
