package lua

import (
	"sort"
)

// VClock is a vector clock as box.info shows it: {id = lsn} with the map
// hint, zero components left out.
type VClock map[uint32]int64

// PushGo pushes plain Go data as Lua values: nil, bool, string, the
// integer and float types, []byte (a string), []any, []string,
// map[string]any (keys set in sorted order), VClock and Function. Other
// types push nil.
func (L State) PushGo(v any) {
	switch x := v.(type) {
	case nil:
		L.PushNil()
	case bool:
		L.PushBool(x)
	case string:
		L.PushString(x)
	case []byte:
		L.PushBytes(x)
	case int:
		L.PushInt64(int64(x))
	case int32:
		L.PushNumber(float64(x))
	case int64:
		L.PushInt64(x)
	case uint8:
		L.PushNumber(float64(x))
	case uint16:
		L.PushNumber(float64(x))
	case uint32:
		L.PushNumber(float64(x))
	case uint64:
		L.PushUint64(x)
	case float32:
		L.PushNumber(float64(x))
	case float64:
		L.PushNumber(x)
	case Function:
		L.PushFunction(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		L.CreateTable(0, len(x))
		for _, k := range keys {
			L.PushGo(x[k])
			L.RawSetField(-2, k)
		}
	case VClock:
		L.CreateTable(0, len(x))
		for id, lsn := range x {
			if lsn != 0 {
				L.PushInt64(lsn)
				L.RawSetI(-2, int(id))
			}
		}
		L.SetMapHint(-1)
	case map[uint32]int64:
		L.PushGo(VClock(x))
	case []any:
		L.CreateTable(len(x), 0)
		for i, e := range x {
			L.PushGo(e)
			L.RawSetI(-2, i+1)
		}
	case []string:
		L.CreateTable(len(x), 0)
		for i, e := range x {
			L.PushString(e)
			L.RawSetI(-2, i+1)
		}
	default:
		L.PushNil()
	}
}

// maxGoDepth bounds the nesting ToGo follows. Deeper levels, and a table
// met again on the path that leads to it (a cycle), become nil, which
// every consumer rejects as a value of the wrong type.
const maxGoDepth = 32

// ToGo converts the value at idx to plain Go data for configuration
// code: string, float64 (exact integers beyond 2^53 as int64/uint64),
// bool, []any (tables whose keys are 1..n, and empty tables),
// map[string]any (other tables, keys in their string form), nil for
// everything else (functions, userdata, box.NULL).
func (L State) ToGo(idx int) any {
	return L.toGo(L.AbsIndex(idx), 0, map[uintptr]bool{})
}

func (L State) toGo(idx, depth int, path map[uintptr]bool) any {
	switch L.Type(idx) {
	case TypeString:
		s, _ := L.ToString(idx)
		return s
	case TypeNumber:
		return L.ToNumber(idx)
	case TypeBoolean:
		return L.ToBool(idx)
	case TypeCdata:
		u, i, sign := L.Integer(idx)
		switch sign {
		case 1:
			return u
		case -1:
			return i
		}
		return nil
	case TypeTable:
		p := L.ToPointer(idx)
		if depth >= maxGoDepth || path[p] {
			return nil
		}
		path[p] = true
		defer delete(path, p)
		n := L.ObjLen(idx)
		count := 0
		L.PushNil()
		for L.Next(idx) {
			count++
			L.Pop(1)
		}
		if count == n {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				L.RawGetI(idx, i)
				arr = append(arr, L.toGo(L.GetTop(), depth+1, path))
				L.Pop(1)
			}
			return arr
		}
		m := make(map[string]any, count)
		L.PushNil()
		for L.Next(idx) {
			var k string
			switch L.Type(-2) {
			case TypeString:
				k, _ = L.ToString(-2)
			case TypeNumber:
				// Not ToString: it would turn the key into a string in
				// place and break the traversal.
				L.PushValue(-2)
				k, _ = L.ToString(-1)
				L.Pop(1)
			default:
				L.Pop(1)
				continue
			}
			m[k] = L.toGo(L.GetTop(), depth+1, path)
			L.Pop(1)
		}
		return m
	}
	return nil
}
