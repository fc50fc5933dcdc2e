#!/usr/bin/env bash
# Replication benchmark, Spindle vs the reference Tarantool 2.6 on this
# machine, one after the other (a master and a replica of the same kind):
#   1. join time: a replica bootstraps from a master holding N tuples;
#   2. follow: REPLACE load on the master (4 connections x 32 in flight) for
#      the given duration; reports the master's write rate, the rate at
#      which the replica applied the rows (until it caught up) and the
#      replica's upstream lag sampled every 50 ms (p50, p90, p99, max).
#
#   scripts/bench-replication.sh [duration] [tuples]
#   KINDS=spindle scripts/bench-replication.sh ...          (one kind only)
#   REPLICA_ENV='GOMEMLIMIT=100GiB' scripts/bench-replication.sh ...
#                                   (environment of the replica processes)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5s}
N=${2:-1000000}
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/master.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), log_level = 2,
        memtx_memory = 2 * 1024 * 1024 * 1024}
box.once('bench', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    local s = box.schema.space.create('bench')
    s:create_index('pk', {parts = {1, 'unsigned'}})
    local pad = string.rep('x', 88)
    local n = tonumber(os.getenv('N'))
    box.begin()
    for i = 1, n do
        s:replace{i, pad, i}
        if i % 1000 == 0 then box.commit() box.begin() end
    end
    box.commit()
end)
io.stdout:write('master ready\n') io.stdout:flush()
LUA
cat > "$tmp/replica.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), log_level = 2,
        replication = {'replicator:password@' .. os.getenv('MASTER')}, read_only = true,
        memtx_memory = 2 * 1024 * 1024 * 1024}
io.stdout:write('replica ready\n') io.stdout:flush()
LUA
# monitor.lua (run by tarantool as a client): samples the replica's lag,
# then waits until the replica's vclock reaches the master's.
cat > "$tmp/monitor.lua" <<'LUA'
local net = require('net.box')
local fiber = require('fiber')
local clock = require('clock')
local m = net.connect(os.getenv('MASTER'))
local r = net.connect(os.getenv('REPLICA'))
local dur = tonumber(os.getenv('DUR_S'))
local lags = {}
local bogus = 0
local t0 = clock.time()
local start_sig = r:eval('return box.info.signature')
while clock.time() - t0 < dur do
    local lag = r:eval('local u = box.info.replication[1].upstream return u and u.lag or 0')
    -- A lag of about the Unix time is a row without a timestamp (tarantool
    -- reports such values at times): counted apart, not as a lag.
    if lag < 3600 then table.insert(lags, lag) else bogus = bogus + 1 end
    fiber.sleep(0.05)
end
local msig = m:eval('return box.info.signature')
local t1 = clock.time()
while r:eval('return box.info.signature') < msig do fiber.sleep(0.005) end
local t2 = clock.time()
table.sort(lags)
local function pct(p) return (lags[math.max(1, math.ceil(#lags * p))] or 0) * 1000 end
print(string.format('replica applied %d rows in %.2f s (%.0f rows/s), caught up %.3f s after the load',
    msig - start_sig, t2 - t0, (msig - start_sig) / (t2 - t0), t2 - t1))
print(string.format('lag over %d samples: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%s',
    #lags, pct(0.5), pct(0.9), pct(0.99), pct(1),
    bogus > 0 and string.format(' (%d samples without a timestamp left out)', bogus) or ''))
os.exit(0)
LUA

wait_line() { # file line
    for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.1; done
    echo "timeout waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

port=3480
for name in ${KINDS:-spindle tarantool}; do
    bin=$PWD/bin/spindle; [ $name = tarantool ] && bin=$(command -v tarantool)
    mp=$((port + 1)); rp=$((port + 2)); port=$((port + 2))
    md="$tmp/$name-m"; rd="$tmp/$name-r"; mkdir -p "$md" "$rd"
    (cd "$md" && LISTEN=127.0.0.1:$mp WORK_DIR="$md" N=$N exec "$bin" "$tmp/master.lua" >"$md/out" 2>&1) &
    wait_line "$md/out" 'master ready'
    t0=$(date +%s.%N)
    (cd "$rd" && LISTEN=127.0.0.1:$rp WORK_DIR="$rd" MASTER=127.0.0.1:$mp exec env ${REPLICA_ENV:-} "$bin" "$tmp/replica.lua" >"$rd/out" 2>&1) &
    wait_line "$rd/out" 'replica ready'
    t1=$(date +%s.%N)
    echo "-- $name"
    printf 'join of %d tuples: %.2f s\n' "$N" "$(echo "$t1 - $t0" | bc)"
    secs=${DUR%s}
    (MASTER=127.0.0.1:$mp REPLICA=127.0.0.1:$rp DUR_S=$secs tarantool "$tmp/monitor.lua" > "$tmp/$name-mon" 2>&1) &
    mon=$!
    ops=$(bin/spindle bench -json -d "$DUR" -c 4 -p 32 -mix replace=100 -keys "$N" 127.0.0.1:$mp | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["total"]["ops_per_sec"]))')
    wait $mon || true
    echo "master write rate: $ops ops/s"
    cat "$tmp/$name-mon"
    kill %% 2>/dev/null || true
    pkill -f "$tmp/master.lua" || true; pkill -f "$tmp/replica.lua" || true
    sleep 1
done
