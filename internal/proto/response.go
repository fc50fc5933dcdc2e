package proto

import (
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// DecodeError reads an error reply as xrow_decode_error does: the code
// comes from the reply type, the message from ERROR_24, and an MP_ERROR
// stack under ERROR, when present and well-formed, supplies the error's
// class, file, line and errno (its first entry wins over ERROR_24), and
// the entries after it the error's causes (Prev).
// Malformed bodies never fail: they yield an error with the code and
// whatever message could be read. The stack is returned as decoded,
// possibly empty.
func DecodeError(typ uint32, body []byte) (*boxerr.Error, []ErrorEntry) {
	e := &boxerr.Error{Code: boxerr.Code(typ &^ TypeError), Type: "ClientError"}
	if _, err := msgpack.Skip(body); err != nil || msgpack.TypeOf(body) != msgpack.Map {
		return e, nil
	}
	var stack []ErrorEntry
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		key, n, err := msgpack.ReadUint(body[pos:])
		isUint := err == nil && msgpack.TypeOf(body[pos:]) == msgpack.Uint
		if !isUint {
			n, _ = msgpack.Skip(body[pos:])
		}
		pos += n
		n, _ = msgpack.Skip(body[pos:])
		v := body[pos : pos+n]
		pos += n
		if !isUint {
			continue
		}
		switch uint8(key) {
		case KeyError24:
			if msgpack.TypeOf(v) == msgpack.Str && stack == nil {
				e.Message, _, _ = msgpack.ReadString(v)
			}
		case KeyError:
			if s, ok := decodeErrorStack(v); ok && len(s) > 0 {
				stack = s
				e = chainOf(s)
			}
		}
	}
	return e, stack
}

// chainOf builds the error a stack describes: its first entry, whose
// causes are the entries after it.
func chainOf(stack []ErrorEntry) *boxerr.Error {
	top := ErrorOfEntry(stack[0])
	last := top
	for _, en := range stack[1:] {
		c := ErrorOfEntry(en)
		last.SetPrev(c)
		last = c
	}
	return top
}

// decodeErrorStack decodes an MP_ERROR map. Unknown keys are skipped;
// entries must have type, file and message (error_build_xc).
func decodeErrorStack(v []byte) ([]ErrorEntry, bool) {
	cnt, pos, err := msgpack.ReadMapHeader(v)
	if err != nil {
		return nil, false
	}
	var stack []ErrorEntry
	for i := uint32(0); i < cnt; i++ {
		key, n, err := msgpack.ReadUint(v[pos:])
		if err != nil {
			return nil, false
		}
		pos += n
		if key != ErrorStack {
			n, _ = msgpack.Skip(v[pos:])
			pos += n
			continue
		}
		arr, n, err := msgpack.ReadArrayHeader(v[pos:])
		if err != nil {
			return nil, false
		}
		pos += n
		stack = stack[:0]
		for j := uint32(0); j < arr; j++ {
			e, n, ok := decodeErrorEntry(v[pos:])
			if !ok {
				return nil, false
			}
			pos += n
			stack = append(stack, e)
		}
	}
	return stack, true
}

func decodeErrorEntry(b []byte) (ErrorEntry, int, bool) {
	var e ErrorEntry
	cnt, pos, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return e, 0, false
	}
	var hasType, hasFile, hasMsg bool
	for i := uint32(0); i < cnt; i++ {
		key, n, err := msgpack.ReadUint(b[pos:])
		if err != nil {
			return e, 0, false
		}
		pos += n
		v := b[pos:]
		n, _ = msgpack.Skip(v)
		v = v[:n]
		pos += n
		var u uint64
		switch key {
		case ErrorType:
			e.Type, _, err = msgpack.ReadString(v)
			hasType = err == nil
		case ErrorFile:
			e.File, _, err = msgpack.ReadString(v)
			hasFile = err == nil
		case ErrorMessage:
			e.Message, _, err = msgpack.ReadString(v)
			hasMsg = err == nil
		case ErrorLine:
			u, _, err = msgpack.ReadUint(v)
			e.Line = uint32(u)
		case ErrorErrno:
			u, _, err = msgpack.ReadUint(v)
			e.Errno = uint32(u)
		case ErrorCode:
			u, _, err = msgpack.ReadUint(v)
			e.Code = uint32(u)
		case ErrorFields:
			e.Fields, err = decodeErrorFields(v)
		}
		if err != nil {
			return e, 0, false
		}
	}
	return e, pos, hasType && hasFile && hasMsg
}

func decodeErrorFields(v []byte) ([]ErrorField, error) {
	cnt, pos, err := msgpack.ReadMapHeader(v)
	if err != nil {
		return nil, err
	}
	var fs []ErrorField
	for i := uint32(0); i < cnt; i++ {
		k, n, err := msgpack.ReadString(v[pos:])
		if err != nil {
			return nil, err
		}
		pos += n
		val, n, err := msgpack.Decode(v[pos:])
		if err != nil {
			return nil, err
		}
		pos += n
		s, ok := val.(string)
		if !ok {
			s = fmt.Sprint(val)
		}
		fs = append(fs, ErrorField{k, s})
	}
	return fs, nil
}

// DataOf returns the raw value of the DATA key of a reply body (an
// array for SELECT, DML, CALL and EVAL replies), or nil if the body has
// no DATA. It fails only on a body that is not one valid msgpack map.
func DataOf(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if err := checkMap(body); err != nil {
		return nil, err
	}
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		kn, _ := msgpack.Skip(body[pos:])
		key, _, kerr := msgpack.ReadUint(body[pos:])
		pos += kn
		n, _ := msgpack.Skip(body[pos:])
		if kerr == nil && key == KeyData {
			return body[pos : pos+n], nil
		}
		pos += n
	}
	return nil, nil
}
