package luabox

import (
	"runtime/metrics"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/rmean"
)

// openStat builds box.stat (callable for every request counter, indexed
// for one), box.stat.net, box.stat.reset, box.stat.sql, box.stat.vinyl
// and box.runtime, as 2.6's stat.c and init.c.
func (rt *Runtime) openStat() {
	L := rt.L
	L.PushRef(rt.boxRef)
	boxT := L.GetTop()

	L.NewTable()
	stat := L.GetTop()
	L.SetFuncs(stat, map[string]lua.Function{
		"reset": func(L lua.State) int {
			if rt.Box != nil {
				rt.Box.Stat.Reset()
				rt.Box.ErrorStat.Reset()
			}
			if ns := rt.netStat(); ns != nil {
				ns.Rmean.Reset()
			}
			return 0
		},
		"sql":   rt.statSQL,
		"vinyl": rt.statVinyl,
	})
	// box.stat() and box.stat.X: the request counters, then ERROR.
	L.CreateTable(0, 2)
	L.PushFunction(func(L lua.State) int {
		L.NewTable()
		for _, it := range rt.boxStatItems() {
			pushStatItem(L, it)
			L.RawSetField(-2, it.Name)
		}
		return 1
	})
	L.RawSetField(-2, "__call")
	L.PushFunction(func(L lua.State) int {
		name := L.CheckString(-1)
		for _, it := range rt.boxStatItems() {
			if it.Name == name {
				pushStatItem(L, it)
				return 1
			}
		}
		return 0
	})
	L.RawSetField(-2, "__index")
	L.SetMetatable(stat)

	// box.stat.net() and box.stat.net.X: bytes, connections, requests,
	// the last two with the current count beside the rate and total.
	L.NewTable()
	L.CreateTable(0, 2)
	L.PushFunction(func(L lua.State) int {
		L.NewTable()
		for _, it := range rt.netStatItems() {
			rt.pushNetItem(L, it)
			L.RawSetField(-2, it.Name)
		}
		return 1
	})
	L.RawSetField(-2, "__call")
	L.PushFunction(func(L lua.State) int {
		name := L.CheckString(-1)
		for _, it := range rt.netStatItems() {
			if it.Name == name {
				rt.pushNetItem(L, it)
				return 1
			}
		}
		return 0
	})
	L.RawSetField(-2, "__index")
	L.SetMetatable(-2)
	L.RawSetField(stat, "net")
	L.RawSetField(boxT, "stat")

	// box.runtime.info(): the Lua heap, and the memory of the runtime
	// outside it (Go's heap here, where 2.6 counts its runtime arena)
	// with the quota it is held to: none, which 2.6 shows as QUOTA_MAX.
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"info": func(L lua.State) int {
			L.CreateTable(0, 3)
			L.PushNumber(float64(goHeapUsed()))
			L.RawSetField(-2, "used")
			L.PushNumber(quotaMax)
			L.RawSetField(-2, "maxalloc")
			L.PushNumber(float64(rt.VM.MemUsed()))
			L.RawSetField(-2, "lua")
			return 1
		},
	})
	L.RawSetField(boxT, "runtime")
	L.SetTop(boxT - 1)
}

// quotaMax is small's QUOTA_MAX (QUOTA_UNIT_SIZE * UINT32_MAX), the
// quota of 2.6's runtime arena when nothing limits it, as nothing limits
// Spindle's Lua heap or Go's.
const quotaMax = 1024 * 4294967295

// boxStatItems are box.stat()'s counters: requests, then ERROR.
func (rt *Runtime) boxStatItems() []rmean.Item {
	if rt.Box == nil {
		// Before box.cfg every counter exists and is zero, as in 2.6.
		return append(rmean.New(box.StatNames()...).Items(), rmean.Item{Name: "ERROR"})
	}
	return append(rt.Box.Stat.Items(), rt.Box.ErrorStat.Items()...)
}

func pushStatItem(L lua.State, it rmean.Item) {
	L.CreateTable(0, 2)
	L.PushNumber(float64(it.Rps))
	L.RawSetField(-2, "rps")
	L.PushNumber(float64(it.Total))
	L.RawSetField(-2, "total")
}

// netStat returns the statistics of the IPROTO listeners when the host
// keeps them.
func (rt *Runtime) netStat() *iproto.NetStat {
	if ns, ok := rt.Host.(iproto.NetStatter); ok {
		return ns.NetStat()
	}
	return nil
}

func (rt *Runtime) netStatItems() []rmean.Item {
	if ns := rt.netStat(); ns != nil {
		return ns.Rmean.Items()
	}
	// A host without listeners: 2.6's counters before any traffic.
	return []rmean.Item{{Name: "SENT"}, {Name: "RECEIVED"}, {Name: "CONNECTIONS"}, {Name: "REQUESTS"}}
}

func (rt *Runtime) pushNetItem(L lua.State, it rmean.Item) {
	pushStatItem(L, it)
	var current int64
	ns := rt.netStat()
	switch {
	case it.Name == "CONNECTIONS" && ns != nil:
		current = ns.Connections()
	case it.Name == "REQUESTS" && ns != nil:
		current = ns.Requests()
	case it.Name != "CONNECTIONS" && it.Name != "REQUESTS":
		return
	}
	L.PushNumber(float64(current))
	L.RawSetField(-2, "current")
}

// statSQL is box.stat.sql(): the counters of 2.6's SQL engine, which
// Spindle does not have; none of them ever counts anything.
func (rt *Runtime) statSQL(L lua.State) int {
	L.PushGo(map[string]any{"sql_search_count": 0, "sql_sort_count": 0, "sql_found_count": 0,
		"sql_xfer_count": 0})
	return 1
}

// vinylDumpBandwidth is vy_regulator's VY_DUMP_BANDWIDTH_DEFAULT.
const vinylDumpBandwidth = 10 << 20

// statVinyl is box.stat.vinyl(): Spindle has no vinyl engine, so no
// vinyl space ever holds data, and every counter of 2.6's statistics is
// zero. The regulator shows what an idle 2.6 regulator does for the
// configured box.cfg.vinyl_memory: the default dump bandwidth, and the
// dump watermark vy_regulator_update_dump_watermark computes with no
// writes seen.
func (rt *Runtime) statVinyl(L lua.State) int {
	limit := float64(128 << 20)
	L.GetGlobal("box")
	if L.IsTable(-1) {
		if L.GetField(-1, "cfg") == nil && L.IsTable(-1) {
			if L.GetField(-1, "vinyl_memory") == nil && L.Type(-1) == lua.TypeNumber {
				limit = L.ToNumber(-1)
			}
			L.Pop(1)
		}
		L.Pop(1)
	}
	L.Pop(1)
	watermark := float64(uint64(limit * vinylDumpBandwidth / (vinylDumpBandwidth + 1)))
	watermark = max(watermark, float64(uint64(limit)/2))
	L.PushGo(map[string]any{
		"disk": map[string]any{"data": 0, "data_compacted": 0, "index": 0},
		"memory": map[string]any{"bloom_filter": 0, "level0": 0, "page_index": 0, "tuple_cache": 0,
			"tx": 0},
		"regulator": map[string]any{"dump_bandwidth": vinylDumpBandwidth, "dump_watermark": watermark,
			"rate_limit": vinylDumpBandwidth, "write_rate": 0},
		"scheduler": map[string]any{"compaction_input": 0, "compaction_output": 0, "compaction_queue": 0,
			"compaction_time": 0, "dump_count": 0, "dump_input": 0, "dump_output": 0, "dump_time": 0,
			"tasks_completed": 0, "tasks_failed": 0, "tasks_inprogress": 0},
		"tx": map[string]any{"commit": 0, "conflict": 0, "gap_locks": 0, "read_views": 0, "rollback": 0,
			"statements": 0, "transactions": 0},
	})
	return 1
}

// goHeapUsed is the bytes of live and not yet swept objects in Go's
// heap, read without stopping the world.
func goHeapUsed() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// netBufferSize is the read buffer an IPROTO connection holds
// (iproto.Server's bufio reader), what box.info.memory().net counts.
const netBufferSize = 64 << 10

// pushInfoMemory pushes box.info.memory(): memtx's tuples (data) and the
// rest of what box accounts against memtx_memory (index: tuple headers
// and index entries), the Lua heap, the connections' buffers; Spindle
// has no vinyl cache, and transactions keep their rows in Go's heap with
// the tuples they write, so cache and tx are 0.
func (rt *Runtime) pushInfoMemory(L lua.State) {
	var data, used int64
	if rt.Box != nil {
		for _, sp := range rt.Box.Spaces() {
			data += int64(sp.Bsize())
		}
		_, used = rt.Box.MemtxMemory()
	}
	var net int64
	if ns := rt.netStat(); ns != nil {
		net = ns.Connections() * netBufferSize
	}
	L.CreateTable(0, 6)
	for _, kv := range []struct {
		k string
		v int64
	}{{"cache", 0}, {"data", data}, {"index", max(used-data, 0)}, {"lua", rt.VM.MemUsed()},
		{"net", net}, {"tx", 0}} {
		L.PushNumber(float64(kv.v))
		L.RawSetField(-2, kv.k)
	}
}
