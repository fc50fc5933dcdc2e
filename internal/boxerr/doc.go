// Package boxerr holds Tarantool 2.6.0's error codes and messages and the
// error value every layer of Spindle returns to users.
//
// An *Error carries the numeric code that IPROTO puts in the response type
// (0x8000|code), the formatted message, and the error class name that
// box.error objects and MP_ERROR stacks report ("ClientError",
// "SystemError", "LuajitError", ...). codes.go is generated from
// errcode.h so the messages are byte-for-byte Tarantool's.
//
// The package is a leaf: it imports nothing from Spindle.
package boxerr
