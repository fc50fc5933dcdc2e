package tupleupdate

import "github.com/spindledb/spindle/internal/msgpack"

// PathStep is one step of a JSON path inside a field: an array element
// (Index, 0-based) or a map value (Key).
type PathStep struct {
	IsKey bool
	Key   string
	Index int
}

// ParsePath splits a JSON path with index base 1 (a.b, [2], ["k"][1])
// into steps, as 2.6's json_path_validate reads it. ok is false for an
// invalid path; multikey reports a [*] step, whose steps are not
// returned.
func ParsePath(path string) (steps []PathStep, multikey, ok bool) {
	l := lexer{src: []byte(path)}
	for {
		t, rc := l.next()
		if rc != 0 {
			return nil, false, false
		}
		switch t.typ {
		case tokenEnd:
			return steps, multikey, true
		case tokenAny:
			multikey = true
		case tokenNum:
			steps = append(steps, PathStep{Index: int(t.num)})
		case tokenStr:
			steps = append(steps, PathStep{IsKey: true, Key: string(t.str)})
		}
	}
}

// Follow descends from the MessagePack value v along steps and returns
// the value reached, nil when a step finds no element or key (or v is
// not a container the step can enter). v must be well-formed.
func Follow(v []byte, steps []PathStep) []byte {
	for _, s := range steps {
		v = step(v, s)
		if v == nil {
			return nil
		}
	}
	return v
}

func step(v []byte, s PathStep) []byte {
	switch {
	case !s.IsKey && msgpack.TypeOf(v) == msgpack.Array:
		n, pos, err := msgpack.ReadArrayHeader(v)
		if err != nil || s.Index < 0 || uint32(s.Index) >= n {
			return nil
		}
		for i := 0; i < s.Index; i++ {
			sz, err := msgpack.Skip(v[pos:])
			if err != nil {
				return nil
			}
			pos += sz
		}
		return valueAt(v, pos)
	case s.IsKey && msgpack.TypeOf(v) == msgpack.Map:
		n, pos, err := msgpack.ReadMapHeader(v)
		if err != nil {
			return nil
		}
		for i := uint32(0); i < n; i++ {
			ksz, err := msgpack.Skip(v[pos:])
			if err != nil {
				return nil
			}
			k := v[pos : pos+ksz]
			pos += ksz
			if msgpack.TypeOf(k) == msgpack.Str {
				if key, _, err := msgpack.ReadString(k); err == nil && key == s.Key {
					return valueAt(v, pos)
				}
			}
			vsz, err := msgpack.Skip(v[pos:])
			if err != nil {
				return nil
			}
			pos += vsz
		}
	}
	return nil
}

func valueAt(v []byte, pos int) []byte {
	sz, err := msgpack.Skip(v[pos:])
	if err != nil {
		return nil
	}
	return v[pos : pos+sz]
}
