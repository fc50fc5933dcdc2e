package lua

/*
#include <stdlib.h>
#include <string.h>
#include "sp.h"

static struct sp_serializer *sp_serializer_new(void) {
	struct sp_serializer *c = malloc(sizeof(*c));
	if (c != NULL)
		sp_serializer_defaults(c);
	return c;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Serializer is a serializer configuration (Tarantool's struct
// luaL_serializer): msgpack.cfg, json.cfg and yaml.cfg each own one.
// It lives in C memory because the C encoders read it.
type Serializer struct {
	c *C.struct_sp_serializer
}

// NewSerializer returns a configuration with Tarantool 2.6's defaults.
// It is never freed: modules keep theirs for the process's lifetime.
func NewSerializer() *Serializer {
	c := C.sp_serializer_new()
	if c == nil {
		panic("lua: out of memory")
	}
	return &Serializer{c: c}
}

// MsgpackSerializer returns the VM's msgpack configuration, the one
// tuples, CALL arguments and results and box use (msgpack.cfg).
func (vm *VM) MsgpackSerializer() *Serializer {
	return &Serializer{c: C.sp_globals(vm.main.p).mp_cfg}
}

// SerializerOptions mirrors the fields of a Serializer.
type SerializerOptions struct {
	EncodeSparseConvert   bool
	EncodeSparseRatio     int
	EncodeSparseSafe      int
	EncodeMaxDepth        int
	EncodeDeepAsNil       bool
	EncodeInvalidNumbers  bool
	EncodeNumberPrecision int
	EncodeLoadMetatables  bool
	EncodeUseToString     bool
	EncodeInvalidAsNil    bool
	DecodeInvalidNumbers  bool
	DecodeSaveMetatables  bool
	DecodeMaxDepth        int
	// Hints marks flow-style containers (yaml, console output).
	Hints bool
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Options returns the configuration.
func (s *Serializer) Options() SerializerOptions {
	c := s.c
	return SerializerOptions{
		EncodeSparseConvert:   c.encode_sparse_convert != 0,
		EncodeSparseRatio:     int(c.encode_sparse_ratio),
		EncodeSparseSafe:      int(c.encode_sparse_safe),
		EncodeMaxDepth:        int(c.encode_max_depth),
		EncodeDeepAsNil:       c.encode_deep_as_nil != 0,
		EncodeInvalidNumbers:  c.encode_invalid_numbers != 0,
		EncodeNumberPrecision: int(c.encode_number_precision),
		EncodeLoadMetatables:  c.encode_load_metatables != 0,
		EncodeUseToString:     c.encode_use_tostring != 0,
		EncodeInvalidAsNil:    c.encode_invalid_as_nil != 0,
		DecodeInvalidNumbers:  c.decode_invalid_numbers != 0,
		DecodeSaveMetatables:  c.decode_save_metatables != 0,
		DecodeMaxDepth:        int(c.decode_max_depth),
		Hints:                 c.hints != 0,
	}
}

// SetOptions replaces the configuration.
func (s *Serializer) SetOptions(o SerializerOptions) {
	c := s.c
	c.encode_sparse_convert = b2i(o.EncodeSparseConvert)
	c.encode_sparse_ratio = C.int(o.EncodeSparseRatio)
	c.encode_sparse_safe = C.int(o.EncodeSparseSafe)
	c.encode_max_depth = C.int(o.EncodeMaxDepth)
	c.encode_deep_as_nil = b2i(o.EncodeDeepAsNil)
	c.encode_invalid_numbers = b2i(o.EncodeInvalidNumbers)
	c.encode_number_precision = C.int(o.EncodeNumberPrecision)
	c.encode_load_metatables = b2i(o.EncodeLoadMetatables)
	c.encode_use_tostring = b2i(o.EncodeUseToString)
	c.encode_invalid_as_nil = b2i(o.EncodeInvalidAsNil)
	c.decode_invalid_numbers = b2i(o.DecodeInvalidNumbers)
	c.decode_save_metatables = b2i(o.DecodeSaveMetatables)
	c.decode_max_depth = C.int(o.DecodeMaxDepth)
	c.hints = b2i(o.Hints)
}

func (L State) serializer(s *Serializer) *C.struct_sp_serializer {
	if s == nil {
		return C.sp_globals(L.p).mp_cfg
	}
	return s.c
}

// scratch returns the VM's encoding buffer, emptied.
func (L State) scratch() *C.struct_sp_buf {
	b := L.vm.buf
	b.len = 0
	return b
}

func (L State) scratchBytes() []byte {
	b := L.vm.buf
	return unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len))
}

// Encode appends the MessagePack form of the value at idx to dst under
// s (nil: the VM's msgpack configuration). Lua errors raised while
// encoding (a __serialize function, an unsupported type) are returned.
func (L State) Encode(dst []byte, idx int, s *Serializer) ([]byte, error) {
	if C.sp_pencode(L.p, L.serializer(s), L.scratch(), C.int(idx)) != 0 {
		return dst, L.popError()
	}
	return append(dst, L.scratchBytes()...), nil
}

// EncodeView is Encode into the VM's scratch buffer: the result is valid
// until the next encoding on the VM and must not be kept.
func (L State) EncodeView(idx int, s *Serializer) ([]byte, error) {
	if C.sp_pencode(L.p, L.serializer(s), L.scratch(), C.int(idx)) != 0 {
		return nil, L.popError()
	}
	return L.scratchBytes(), nil
}

// EncodeViewValue is EncodeView that keeps the error: on failure it
// returns false with the Lua error value (from a __serialize function,
// or the encoder's message) left on top of the stack.
func (L State) EncodeViewValue(idx int, s *Serializer) ([]byte, bool) {
	if C.sp_pencode(L.p, L.serializer(s), L.scratch(), C.int(idx)) != 0 {
		return nil, false
	}
	return L.scratchBytes(), true
}

// EncodeMulti appends the values from..top as one MessagePack array and
// pops them.
func (L State) EncodeMulti(dst []byte, from int, s *Serializer) ([]byte, error) {
	if C.sp_pencode_multi(L.p, L.serializer(s), L.scratch(), C.int(from)) != 0 {
		return dst, L.popError()
	}
	return append(dst, L.scratchBytes()...), nil
}

// ErrInvalidMsgpack is returned for data that is not one complete,
// well-formed MessagePack value.
var ErrInvalidMsgpack = errors.New("msgpack.decode: invalid MsgPack")

// PushMsgpack decodes the value at the start of data onto the stack and
// returns the rest of data. On error nothing is pushed.
func (L State) PushMsgpack(data []byte, s *Serializer) ([]byte, error) {
	if len(data) == 0 {
		return data, ErrInvalidMsgpack
	}
	var used C.size_t
	switch rc := C.sp_pdecode(L.p, L.serializer(s), (*C.char)(unsafe.Pointer(unsafe.SliceData(data))), C.size_t(len(data)), &used); rc {
	case 0:
		return data[used:], nil
	case -1:
		L.Pop(1)
		return data, ErrInvalidMsgpack
	default:
		return data, L.popError()
	}
}

// PushMsgpackArgs pushes the elements of the MessagePack array data (a
// CALL's arguments) and returns their count.
func (L State) PushMsgpackArgs(data []byte, s *Serializer) (int, error) {
	var n C.int
	switch rc := C.sp_pdecode_args(L.p, L.serializer(s), (*C.char)(unsafe.Pointer(unsafe.SliceData(data))), C.size_t(len(data)), &n); rc {
	case 0:
		return int(n), nil
	case -1:
		L.Pop(1)
		return 0, ErrInvalidMsgpack
	default:
		return 0, L.popError()
	}
}

// CheckMsgpack reports whether data starts with one complete, valid
// MessagePack value nested at most depth levels, and its length.
func CheckMsgpack(data []byte, depth int) (int, bool) {
	if len(data) == 0 {
		return 0, false
	}
	n := C.sp_mp_checklen((*C.char)(unsafe.Pointer(unsafe.SliceData(data))), C.size_t(len(data)), C.int(depth))
	return int(n), n >= 0
}

// SetExtDecoder makes the function on top (popped) the decoder of
// MessagePack extension type typ: it receives the payload as a string
// and returns the value.
func (L State) SetExtDecoder(typ int8) {
	C.lua_rawgeti(L.p, C.LUA_REGISTRYINDEX, C.sp_globals(L.p).ext_decode_ref)
	L.Insert(-2)
	L.RawSetI(-2, int(typ))
	L.Pop(1)
}

// SetUUIDType declares the cdata at idx to be a UUID (struct tt_uuid):
// values of its ctype encode as MP_UUID.
func (L State) SetUUIDType(idx int) {
	C.sp_globals(L.p).uuid_ctid = C.int(L.CdataType(idx))
}

// PushArrayHint sets {__serialize = 'seq'} on the table at idx.
func (L State) SetArrayHint(idx int) {
	idx = L.AbsIndex(idx)
	C.lua_rawgeti(L.p, C.LUA_REGISTRYINDEX, C.sp_globals(L.p).array_mt_ref)
	L.SetMetatable(idx)
}

// SetMapHint sets {__serialize = 'map'} on the table at idx.
func (L State) SetMapHint(idx int) {
	idx = L.AbsIndex(idx)
	C.lua_rawgeti(L.p, C.LUA_REGISTRYINDEX, C.sp_globals(L.p).map_mt_ref)
	L.SetMetatable(idx)
}

// Hints of hinted encodings (SerializerOptions.Hints), private
// extension types that precede or replace a value (see sp.h):
// ExtCompact (empty) before a container whose __serialize is exactly
// "seq" or "map"; ExtCompact with the one byte CompactTuple before a
// tuple's raw MessagePack array; ExtAnchor (4-byte big-endian number)
// before a table referenced more than once, written the first time;
// ExtAlias (likewise) instead of such a table written before.
const (
	ExtCompact   = int8(C.SP_EXT_COMPACT)
	ExtAnchor    = int8(C.SP_EXT_ANCHOR)
	ExtAlias     = int8(C.SP_EXT_ALIAS)
	CompactTuple = byte(C.SP_COMPACT_TUPLE)
)

// SetDecimalType declares the cdata at idx to be a decimal (decimal_t,
// whose layout package decimal reads and writes): values of its ctype
// encode as MP_DECIMAL and json prints them as strings. The ctype
// (ffi.typeof) at ctorIdx makes the values PushDecimal pushes.
func (L State) SetDecimalType(idx, ctorIdx int) {
	g := C.sp_globals(L.p)
	g.decimal_ctid = C.int(L.CdataType(idx))
	L.PushValue(ctorIdx)
	g.decimal_ctor_ref = C.int(L.Ref())
}

// DecimalSize is the size of a decimal_t.
const DecimalSize = C.sizeof_struct_sp_decimal

// PushDecimal pushes a new decimal (all zero bytes) and returns its
// payload, DecimalSize bytes that the caller fills. It panics when no
// decimal type was set.
func (L State) PushDecimal() []byte {
	p := C.sp_pushdecimal(L.p)
	if p == nil {
		panic("lua: PushDecimal before SetDecimalType")
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), DecimalSize)
}

// ToDecimal returns the payload of the decimal at idx (aliasing the
// cdata: valid while the value is), or false when it is not a decimal.
func (L State) ToDecimal(idx int) ([]byte, bool) {
	id := C.sp_globals(L.p).decimal_ctid
	if id == 0 || L.CdataType(idx) != uint32(id) {
		return nil, false
	}
	return unsafe.Slice((*byte)(L.CdataPointer(idx)), DecimalSize), true
}
