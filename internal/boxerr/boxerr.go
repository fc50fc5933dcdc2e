package boxerr

import (
	"errors"
	"fmt"
	"strings"
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
	Code    Code
	Type    string // "ClientError", "SystemError", "LuajitError", ...
	Message string
	File    string
	Line    int
	Errno   int
}

func (e *Error) Error() string { return e.Message }

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

// Count is one past the largest known code.
func Count() int { return len(records) }

// New builds a ClientError with code and the code's message formatted with
// args, exactly as Tarantool's tnt_error(ClientError, code, ...) does.
func New(code Code, args ...any) *Error {
	return &Error{Code: code, Type: "ClientError", Message: fmt.Sprintf(code.Format(), args...)}
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
