package boxerr

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// Code is a Tarantool error code (box.error.*).
type Code uint32

type record struct {
	name string
	msg  string
}

// Error is an error with a Tarantool error code. Its Error() text is the
// message alone, as Tarantool shows it.
type Error struct {
	Code Code
	// Type is the error's class, 2.6's type_info name: "ClientError",
	// "AccessDeniedError", "CustomError", "SystemError", "LuajitError"...
	// A custom error is a CustomError whose own name is CustomType.
	Type    string
	Message string
	File    string
	Line    int
	Errno   int
	// CustomType is the type name of a CustomError (box.error.new{type =
	// 'MyError'}), empty for the other classes.
	CustomType string
	// AccessType, ObjectType and ObjectName are what an AccessDeniedError
	// was denied: "Read", "space", "t".
	AccessType, ObjectType, ObjectName string
	// Prev is the error that caused this one (2.6's cause list, error.prev);
	// change it with SetPrev, which keeps the list acyclic.
	Prev *Error
	// effect is the error whose Prev this one is: an error causes at most
	// one other, as in 2.6's diag.
	effect *Error
}

func (e *Error) Error() string { return e.Message }

// TypeName is what box.error objects report as their type: the custom
// type of a CustomError, the class otherwise.
func (e *Error) TypeName() string {
	if e.CustomType != "" {
		return e.CustomType
	}
	return e.Type
}

// ErrCycle is SetPrev's refusal to build a cycle of causes.
var ErrCycle = errors.New("Cycles are not allowed")

// SetPrev makes prev (nil: none) the cause of e as 2.6's error_set_prev
// does: an error is never its own cause, nor a cause of its causes; prev
// leaves the list it was the cause in (that error loses its cause), and
// e's former cause leaves e.
func (e *Error) SetPrev(prev *Error) error {
	if prev != nil {
		if prev == e {
			return ErrCycle
		}
		if prev.effect != nil || e.effect != nil {
			for c := prev.Prev; c != nil; c = c.Prev {
				if c == e {
					return ErrCycle
				}
			}
			if prev.effect != nil {
				prev.effect.Prev = nil
				prev.effect = nil
			}
		}
		prev.effect = e
	}
	if e.Prev != nil {
		e.Prev.effect = nil
	}
	e.Prev = prev
	return nil
}

// At records where 2.6 raises the error (its trace: a source file of
// Tarantool's, "./src/box/space.c", and line) and returns e.
func (e *Error) At(file string, line int) *Error {
	e.File, e.Line = file, line
	return e
}

// MaxMessage is the longest message 2.6 keeps: its diag formats messages
// into a buffer of DIAG_ERRMSG_MAX (512) bytes, terminator included.
const MaxMessage = 511

// Truncate cuts msg to MaxMessage bytes, as 2.6's error_format_msg does.
func Truncate(msg string) string {
	if len(msg) > MaxMessage {
		return msg[:MaxMessage]
	}
	return msg
}

// AccessDenied builds the AccessDeniedError of 2.6: access ("Read",
// "Execute"...) to an object of objType named name denied for user.
func AccessDenied(access, objType, name, user string) *Error {
	e := New(ER_ACCESS_DENIED, access, objType, name, user)
	e.Type = "AccessDeniedError"
	e.AccessType, e.ObjectType, e.ObjectName = access, objType, name
	return e
}

// Name returns the symbolic name of the code, such as "ER_TUPLE_FOUND".
func (c Code) Name() string {
	if int(c) < len(records) && records[c].name != "" {
		return records[c].name
	}
	return fmt.Sprintf("ER_UNKNOWN_%d", uint32(c))
}

// Format returns the printf-style message template of the code, translated
// to Go verbs.
func (c Code) Format() string {
	if int(c) < len(records) {
		return goFormat(records[c].msg)
	}
	return "Unknown error"
}

// CFormat returns the message template of the code as errcode.h has it,
// C verbs and all: box.error(code, ...) formats it with Lua's
// string.format, as 2.6 does. Unknown codes have "Unknown error".
func (c Code) CFormat() string {
	if int(c) < len(records) && records[c].name != "" {
		return records[c].msg
	}
	return "Unknown error"
}

// Count is one past the largest known code.
func Count() int { return len(records) }

// New builds a ClientError with code and the code's message formatted with
// args, exactly as Tarantool's tnt_error(ClientError, code, ...) does.
func New(code Code, args ...any) *Error {
	Made()
	return &Error{Code: code, Type: "ClientError", Message: fmt.Sprintf(code.Format(), args...)}
}

var onMade atomic.Pointer[func()]

// OnMade makes fn (nil: nothing) run for every ClientError made, of any
// subclass: box.stat()'s ERROR counts them, as 2.6's ClientError
// constructor counts itself. There is one hook per process, as 2.6 has
// one counter.
func OnMade(fn func()) {
	if fn == nil {
		onMade.Store(nil)
		return
	}
	onMade.Store(&fn)
}

// Made reports a ClientError made: New and AccessDenied call it, and so
// must code that builds one field by field (box.error.new).
func Made() {
	if fn := onMade.Load(); fn != nil {
		(*fn)()
	}
}

// Newf builds an error of class typ with code and a free-form message.
func Newf(typ string, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// System builds a SystemError (code ER_SYSTEM) as Tarantool reports
// failed system calls: "<what>, called on fd N, aka ...: <strerror>".
func System(msg string) *Error {
	return &Error{Code: ER_SYSTEM, Type: "SystemError", Message: msg}
}

// CodeOf returns the code of err: the code of a wrapped *Error, ER_PROC_LUA
// for any other non-nil error, and 0 for nil.
func CodeOf(err error) Code {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ER_PROC_LUA
}

// From converts any error to an *Error: wrapped *Error values are
// returned as they are, anything else becomes an ER_PROC_LUA ClientError
// with the error's text.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: ER_PROC_LUA, Type: "ClientError", Message: err.Error()}
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// goFormat rewrites C printf verbs (%u, %lld, %zu, %i...) into Go's.
func goFormat(c string) string {
	if !strings.Contains(c, "%") {
		return c
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		if c[i] != '%' || i+1 >= len(c) {
			b.WriteByte(c[i])
			continue
		}
		j := i + 1
		// Flags, width and precision are dropped: "%.*s" takes its
		// length argument in C but not here, where strings carry it.
		for j < len(c) && strings.IndexByte("lzhj.*-+ #0123456789", c[j]) >= 0 {
			j++
		}
		if j >= len(c) {
			b.WriteString(c[i:])
			break
		}
		switch c[j] {
		case 'u', 'd', 'i':
			b.WriteString("%d")
		case 's':
			b.WriteString("%s")
		case 'c':
			b.WriteString("%c")
		case '%':
			b.WriteString("%%")
		default:
			b.WriteString(c[i : j+1])
		}
		i = j
	}
	return b.String()
}
