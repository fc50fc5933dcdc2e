package luamod

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/google/uuid"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// UUID is the Go value behind a Lua uuid object: the 16 bytes in RFC 4122
// (network) order. It implements luaconv.RawMarshaler, so msgpack.encode
// writes Tarantool's MP_UUID extension.
type UUID [16]byte

// MsgpackRaw returns the MP_UUID extension (fixext16, type 2).
func (u UUID) MsgpackRaw() []byte {
	b := make([]byte, 0, 18)
	b = append(b, 0xd8, mpUUID)
	return append(b, u[:]...)
}

// String is the RFC 4122 text form, lower case.
func (u UUID) String() string {
	return uuid.UUID(u).String()
}

// mpUUID is Tarantool's MessagePack extension type of UUIDs.
const mpUUID = 2

const registryUUIDMeta = "spindle.luamod.uuid"

// PreloadUUID registers the uuid module: new, str, bin, fromstr,
// frombin, NULL and calling the module; objects have str, bin, isnil,
// __tostring and __eq. It also installs the MP_UUID decoder.
func PreloadUUID(L *lua.LState) {
	installExtDecoders(L)
	register(L, "uuid", loadUUID)
}

func installExtDecoders(L *lua.LState) {
	luaconv.SetExtDecoder(L, mpUUID, func(L *lua.LState, data []byte) (lua.LValue, error) {
		if len(data) != 16 {
			return nil, luaconv.ErrInvalidMsgPack
		}
		var u UUID
		copy(u[:], data)
		return NewUUIDValue(L, u), nil
	})
}

// NewUUIDValue wraps u as a Lua uuid object.
func NewUUIDValue(L *lua.LState, u UUID) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = u
	ud.Metatable = uuidMetatable(L)
	return ud
}

// ToUUID returns the UUID held by a Lua uuid object.
func ToUUID(v lua.LValue) (UUID, bool) {
	if ud, ok := v.(*lua.LUserData); ok {
		u, ok := ud.Value.(UUID)
		return u, ok
	}
	return UUID{}, false
}

func uuidMetatable(L *lua.LState) *lua.LTable {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if mt, ok := reg.RawGetString(registryUUIDMeta).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTable()
	methods := L.NewTable()
	setFuncs(L, methods, map[string]lua.LGFunction{
		"str": func(L *lua.LState) int {
			u, ok := ToUUID(L.Get(1))
			if !ok {
				raiseAt(L, "builtin/uuid.lua:31", "Usage: uuid:str()")
			}
			L.Push(lua.LString(u.String()))
			return 1
		},
		"bin": func(L *lua.LState) int {
			u, ok := ToUUID(L.Get(1))
			if !ok {
				raiseAt(L, "builtin/uuid.lua:59", "Usage: uuid:bin([byteorder])")
			}
			L.Push(lua.LString(uuidBin(L, u, L.Get(2))))
			return 1
		},
		"isnil": func(L *lua.LState) int {
			u, ok := ToUUID(L.Get(1))
			if !ok {
				raiseAt(L, "builtin/uuid.lua:83", "Usage: uuid:isnil()")
			}
			L.Push(lua.LBool(u == UUID{}))
			return 1
		},
	})
	mt.RawSetString("__index", methods)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		u, _ := ToUUID(L.Get(1))
		L.Push(lua.LString(u.String()))
		return 1
	}))
	mt.RawSetString("__eq", L.NewFunction(func(L *lua.LState) int {
		a, okA := ToUUID(L.Get(1))
		b, okB := ToUUID(L.Get(2))
		L.Push(lua.LBool(okA && okB && a == b))
		return 1
	}))
	mt.RawSetString("__serialize", L.NewFunction(func(L *lua.LState) int {
		u, _ := ToUUID(L.Get(1))
		L.Push(lua.LString(u.String()))
		return 1
	}))
	methods.RawSetString("__serialize", mt.RawGetString("__serialize"))
	reg.RawSetString(registryUUIDMeta, mt)
	return mt
}

// needBswap is uuid.lua's byte-order argument check. "Host" order is
// little-endian (x86 and arm64, what Tarantool runs on): the first three
// fields are byte-swapped relative to RFC order.
func needBswap(L *lua.LState, order lua.LValue) bool {
	switch lua.LVAsString(order) {
	case "l", "h", "host":
		return false
	case "b", "n", "network":
		return true
	}
	if order == lua.LNil {
		return false
	}
	raiseAt(L, "builtin/uuid.lua:54", "invalid byteorder, valid is l, b, h, n")
	return false
}

// swapFields converts between RFC (big-endian fields) and host
// (little-endian fields) layouts; it is its own inverse.
func swapFields(u UUID) UUID {
	binary.LittleEndian.PutUint32(u[0:4], binary.BigEndian.Uint32(u[0:4]))
	binary.LittleEndian.PutUint16(u[4:6], binary.BigEndian.Uint16(u[4:6]))
	binary.LittleEndian.PutUint16(u[6:8], binary.BigEndian.Uint16(u[6:8]))
	return u
}

func uuidBin(L *lua.LState, u UUID, order lua.LValue) string {
	if needBswap(L, order) {
		return string(u[:])
	}
	h := swapFields(u)
	return string(h[:])
}

// parseUUID is tt_uuid_from_string: exactly 36 characters, hex groups
// 8-4-4-4-12 (either case) and an NCS/RFC 4122/Microsoft variant.
func parseUUID(s string) (UUID, bool) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	n := u[8]
	if n&0x80 != 0 && n&0xc0 != 0x80 && n&0xe0 != 0xc0 {
		return u, false
	}
	return u, true
}

func newRandomUUID() UUID {
	return UUID(uuid.New())
}

func loadUUID(L *lua.LState) int {
	mod := L.NewTable()
	newFn := func(L *lua.LState) int {
		L.Push(NewUUIDValue(L, newRandomUUID()))
		return 1
	}
	setFuncs(L, mod, map[string]lua.LGFunction{
		"new": newFn,
		"str": func(L *lua.LState) int {
			L.Push(lua.LString(newRandomUUID().String()))
			return 1
		},
		"bin": func(L *lua.LState) int {
			L.Push(lua.LString(uuidBin(L, newRandomUUID(), L.Get(1))))
			return 1
		},
		"fromstr": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raiseAt(L, "builtin/uuid.lua:38", "fromstr(str)")
			}
			u, ok := parseUUID(string(s))
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(NewUUIDValue(L, u))
			return 1
		},
		"frombin": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok || len(s) != 16 {
				raiseAt(L, "builtin/uuid.lua:73", "frombin(bin, [byteorder])")
			}
			var u UUID
			copy(u[:], s)
			if !needBswap(L, L.Get(2)) {
				u = swapFields(u)
			}
			L.Push(NewUUIDValue(L, u))
			return 1
		},
	})
	mod.RawSetString("NULL", NewUUIDValue(L, UUID{}))
	meta := L.NewTable()
	meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		L.Remove(1)
		return newFn(L)
	}))
	mod.Metatable = meta
	L.Push(mod)
	return 1
}
