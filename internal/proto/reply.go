package proto

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// AppendOK appends a success reply (type OK) with the given encoded body;
// a nil body is sent as the empty map 0x80, as iproto_reply_ok does.
func AppendOK(dst []byte, sync uint64, schemaVersion uint32, body []byte) []byte {
	if body == nil {
		body = []byte{0x80}
	}
	return appendReply(dst, OK, sync, schemaVersion, body)
}

func appendReply(dst []byte, typ uint32, sync uint64, schemaVersion uint32, body []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, ReplyHeaderSize)...)
	dst = append(dst, body...)
	PutReplyHeader(dst[start:], typ, sync, schemaVersion, len(body))
	return dst
}

// AppendData appends a reply whose body is {DATA: [items...]} with the
// 0xdd array header iproto_reply_select writes. items is the
// concatenation of count encoded values (tuples, call results).
func AppendData(dst []byte, sync uint64, schemaVersion uint32, count uint32, items []byte) []byte {
	start := BeginData(dst)
	dst = append(start, items...)
	return FinishData(dst, len(start)-ReplyHeaderSize-DataHeaderSize, OK, sync, schemaVersion, count)
}

// AppendChunk appends a box.session.push message: type CHUNK, the
// request's sync, body {DATA: [value]}.
func AppendChunk(dst []byte, sync uint64, schemaVersion uint32, value []byte) []byte {
	start := BeginData(dst)
	dst = append(start, value...)
	return FinishData(dst, len(start)-ReplyHeaderSize-DataHeaderSize, Chunk, sync, schemaVersion, 1)
}

// BeginData reserves the reply header and DATA array header at the end
// of dst, so that a server can append result values directly and call
// FinishData once it knows their count. The reply starts at the old
// len(dst).
func BeginData(dst []byte) []byte {
	return append(dst, make([]byte, ReplyHeaderSize+DataHeaderSize)...)
}

// FinishData fills in the headers BeginData reserved at offset start,
// for a reply of type typ (OK or Chunk) whose DATA array has count
// values ending at len(dst).
func FinishData(dst []byte, start int, typ uint32, sync uint64, schemaVersion uint32, count uint32) []byte {
	r := dst[start:]
	PutReplyHeader(r, typ, sync, schemaVersion, len(r)-ReplyHeaderSize)
	d := r[ReplyHeaderSize:]
	d[0] = 0x81
	d[1] = KeyData
	d[2] = 0xdd
	putU32(d[3:], count)
	return dst
}

// ErrorEntry is one error of an MP_ERROR stack (the error and its
// causes). Fields carries the type-specific fields that 2.6.0 sends for
// AccessDeniedError (object_type, object_name, access_type, in that
// order) and CustomError (custom_type); it is omitted when empty.
type ErrorEntry struct {
	Type    string // "ClientError", "AccessDeniedError", ...
	File    string
	Line    uint32
	Message string
	Errno   uint32
	Code    uint32
	Fields  []ErrorField
}

// ErrorField is a key/value of an MP_ERROR fields map.
type ErrorField struct{ Key, Value string }

// EntryOf converts a box error to a one-entry stack element, with the
// fields of its class: an AccessDeniedError's object_type, object_name and
// access_type, a CustomError's custom_type. An empty Type becomes
// "ClientError".
func EntryOf(e *boxerr.Error) ErrorEntry {
	typ := e.Type
	if typ == "" {
		typ = "ClientError"
	}
	en := ErrorEntry{Type: typ, File: e.File, Line: uint32(e.Line), Message: e.Message,
		Errno: uint32(e.Errno), Code: uint32(e.Code)}
	switch typ {
	case "AccessDeniedError":
		en.Fields = []ErrorField{{"object_type", e.ObjectType}, {"object_name", e.ObjectName},
			{"access_type", e.AccessType}}
	case "CustomError":
		en.Fields = []ErrorField{{"custom_type", e.CustomType}}
	}
	return en
}

// maxStack bounds the causes a reply carries; SetPrev keeps lists
// acyclic, the bound guards against lists built by hand.
const maxStack = 64

// StackOf is the MP_ERROR stack of e: e, then its causes (Prev) in order.
func StackOf(e *boxerr.Error) []ErrorEntry {
	var stack []ErrorEntry
	for c := e; c != nil && len(stack) < maxStack; c = c.Prev {
		stack = append(stack, EntryOf(c))
	}
	return stack
}

// ErrorOfEntry is the box error an MP_ERROR entry describes (its class
// fields included), without causes.
func ErrorOfEntry(en ErrorEntry) *boxerr.Error {
	e := &boxerr.Error{Code: boxerr.Code(en.Code), Type: en.Type, File: en.File, Line: int(en.Line),
		Message: en.Message, Errno: int(en.Errno)}
	for _, f := range en.Fields {
		switch {
		case en.Type == "CustomError" && f.Key == "custom_type":
			e.CustomType = f.Value
		case en.Type == "AccessDeniedError" && f.Key == "object_type":
			e.ObjectType = f.Value
		case en.Type == "AccessDeniedError" && f.Key == "object_name":
			e.ObjectName = f.Value
		case en.Type == "AccessDeniedError" && f.Key == "access_type":
			e.AccessType = f.Value
		}
	}
	return e
}

// AppendError appends an error reply for e: type TypeError|code and body
// {ERROR_24: message, ERROR: {STACK: [e, its causes...]}} laid out byte
// for byte as iproto_reply_error does.
func AppendError(dst []byte, sync uint64, schemaVersion uint32, e *boxerr.Error) []byte {
	return AppendErrorStack(dst, sync, schemaVersion, StackOf(e))
}

// AppendErrorStack appends an error reply for an error with causes:
// stack[0] is the error itself, whose code and message the reply type and
// ERROR_24 carry. stack must not be empty.
func AppendErrorStack(dst []byte, sync uint64, schemaVersion uint32, stack []ErrorEntry) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, ReplyHeaderSize)...)
	dst = msgpack.AppendMapHeader(dst, 2)
	dst = msgpack.AppendUint(dst, KeyError24)
	dst = msgpack.AppendString(dst, stack[0].Message)
	dst = msgpack.AppendUint(dst, KeyError)
	dst = AppendErrorValue(dst, stack)
	PutReplyHeader(dst[start:], TypeError|stack[0].Code, sync, schemaVersion, len(dst)-start-ReplyHeaderSize)
	return dst
}

// AppendErrorValue appends an MP_ERROR map {STACK: [...]} (without the
// MP_EXT wrapper). Each entry's keys go in mp_encode_error_one's order:
// type, line, file, message, errno, code, fields.
func AppendErrorValue(dst []byte, stack []ErrorEntry) []byte {
	dst = msgpack.AppendMapHeader(dst, 1)
	dst = msgpack.AppendUint(dst, ErrorStack)
	dst = msgpack.AppendArrayHeader(dst, uint32(len(stack)))
	for _, e := range stack {
		n := uint32(6)
		if len(e.Fields) > 0 {
			n++
		}
		dst = msgpack.AppendMapHeader(dst, n)
		dst = msgpack.AppendUint(dst, ErrorType)
		dst = msgpack.AppendString(dst, e.Type)
		dst = msgpack.AppendUint(dst, ErrorLine)
		dst = msgpack.AppendUint(dst, uint64(e.Line))
		dst = msgpack.AppendUint(dst, ErrorFile)
		dst = msgpack.AppendString(dst, e.File)
		dst = msgpack.AppendUint(dst, ErrorMessage)
		dst = msgpack.AppendString(dst, e.Message)
		dst = msgpack.AppendUint(dst, ErrorErrno)
		dst = msgpack.AppendUint(dst, uint64(e.Errno))
		dst = msgpack.AppendUint(dst, ErrorCode)
		dst = msgpack.AppendUint(dst, uint64(e.Code))
		if len(e.Fields) > 0 {
			dst = msgpack.AppendUint(dst, ErrorFields)
			dst = msgpack.AppendMapHeader(dst, uint32(len(e.Fields)))
			for _, f := range e.Fields {
				dst = msgpack.AppendString(dst, f.Key)
				dst = msgpack.AppendString(dst, f.Value)
			}
		}
	}
	return dst
}
