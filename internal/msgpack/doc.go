// Package msgpack is Spindle's MessagePack codec: append-style encoders and
// slice-based decoders that never allocate on the hot path.
//
// Spindle keeps tuples, keys and IPROTO bodies as raw MessagePack bytes and
// must produce byte-exact output where Tarantool does (positive integers
// as the smallest unsigned form, negative as the smallest signed form,
// fixed 0xce/0xcf/0xdd forms in IPROTO headers). General-purpose libraries
// either allocate per value or choose different encodings, so this small
// codec is hand-written; it follows the MessagePack spec and Tarantool's
// msgpuck classification (MP_UINT for every non-negative integer, MP_INT
// for negative ones).
//
// Decoders take a byte slice positioned at a value and return the value and
// the number of bytes it occupies. They never read past the slice and
// report ErrShort for truncated input and a *TypeError for a value of an
// unexpected type, so malformed input is an error, never a panic.
package msgpack
