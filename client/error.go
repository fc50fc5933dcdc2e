package client

import (
	"errors"
	"fmt"
)

// Error is an error reply from the server.
type Error struct {
	Code    uint32 // Tarantool error code (box.error.*), e.g. 47 for a wrong password
	Message string
	Type    string // error class ("ClientError", "AccessDeniedError", ...) when the server sends it
	File    string // server source location, when sent
	Line    uint32
}

func (e *Error) Error() string { return e.Message }

// ErrClosed is wrapped by the errors of requests made on, or pending on,
// a closed connection.
var ErrClosed = errors.New("client: connection closed")

// closedError wraps the reason a connection closed.
type closedError struct{ cause error }

func (e *closedError) Error() string {
	if e.cause == nil {
		return ErrClosed.Error()
	}
	return fmt.Sprintf("%v: %v", ErrClosed, e.cause)
}

func (e *closedError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// CodeOf returns the server error code of err, or 0 if err is not an
// error reply.
func CodeOf(err error) uint32 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
