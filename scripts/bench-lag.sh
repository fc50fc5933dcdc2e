#!/usr/bin/env bash
# Replication lag under a light load, Spindle vs the reference Tarantool 2.6:
# a master and a replica of the same kind; a client writes one row on the
# master every 5 ms (300 rows) and reads the replica's upstream.lag after
# each write; prints the lag's p50, p90 and maximum.
#
#   scripts/bench-lag.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tarantool >/dev/null || { echo "tarantool is not installed" >&2; exit 1; }
go build -o bin/spindle ./cmd/spindle
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/master.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), log_level = 2}
box.once('bench', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    box.schema.space.create('bench'):create_index('pk', {parts = {1, 'unsigned'}})
end)
io.stdout:write('master ready\n') io.stdout:flush()
LUA
cat > "$tmp/replica.lua" <<'LUA'
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), log_level = 2,
        replication = {'replicator:password@' .. os.getenv('MASTER')}, read_only = true}
io.stdout:write('replica ready\n') io.stdout:flush()
LUA
cat > "$tmp/client.lua" <<'LUA'
local net = require('net.box')
local fiber = require('fiber')
local m = net.connect(os.getenv('M'))
local r = net.connect(os.getenv('R'))
local lags = {}
for i = 1, 300 do
    m.space.bench:replace{i, 'x'}
    fiber.sleep(0.005)
    table.insert(lags, r:eval('return box.info.replication[1].upstream.lag'))
end
table.sort(lags)
print(string.format('lag p50 %.2f ms, p90 %.2f ms, max %.2f ms', lags[150] * 1000, lags[270] * 1000, lags[300] * 1000))
os.exit(0)
LUA

wait_line() { # file line
    for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.1; done
    echo "timeout waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

port=3560
for name in spindle tarantool; do
    bin=$PWD/bin/spindle; [ $name = tarantool ] && bin=$(command -v tarantool)
    mp=$((port + 1)); rp=$((port + 2)); port=$((port + 2))
    mkdir -p "$tmp/$name-m" "$tmp/$name-r"
    (cd "$tmp/$name-m" && LISTEN=127.0.0.1:$mp WORK_DIR="$tmp/$name-m" exec "$bin" "$tmp/master.lua" > out 2>&1) &
    m=$!
    wait_line "$tmp/$name-m/out" 'master ready'
    (cd "$tmp/$name-r" && LISTEN=127.0.0.1:$rp WORK_DIR="$tmp/$name-r" MASTER=127.0.0.1:$mp exec "$bin" "$tmp/replica.lua" > out 2>&1) &
    r=$!
    wait_line "$tmp/$name-r/out" 'replica ready'
    echo "-- $name: $(M=127.0.0.1:$mp R=127.0.0.1:$rp tarantool "$tmp/client.lua")"
    kill $m $r; wait $m $r 2>/dev/null || true
done
