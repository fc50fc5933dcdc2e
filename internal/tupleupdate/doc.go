// Package tupleupdate applies Tarantool 2.6 UPDATE and UPSERT operations
// to raw MessagePack tuples.
//
// It owns the whole update language: decoding the operation list
// ([[op, field, args...], ...]), resolving field numbers, field names and
// JSON paths ('[2].a.b'), executing the operations = + - & | ^ : ! # with
// Tarantool's type and bound rules, and storing the new tuple. Errors are
// *boxerr.Error values with Tarantool 2.6.0's codes and messages.
//
// The engine follows Tarantool's own model (src/box/xrow_update*.c) because
// several observable details depend on it, not only on the sequential
// meaning of the operations:
//
//   - All operations are decoded and checked before any is executed, so a
//     malformed operation is reported even if an earlier one would fail.
//   - A top-level field that was already changed by a scalar operation
//     (+ - & | ^ : or =) cannot be changed again by + - & | ^ :
//     ("double update of the same field"), while '=' silently replaces any
//     earlier change. Inserted fields ('!') count as unchanged.
//   - Updates by JSON path are kept as a tree of "bars" (one isolated
//     operation), "routes" (a shared path prefix) and updated arrays and
//     maps; an updated map stores the changed keys first, newest first,
//     and then the unchanged pairs.
//   - The sum of two doubles that is exactly representable as a float is
//     stored as a MessagePack float unless the caller says the field is of
//     type double (Options.DoubleField).
//
// Invariants: the input tuple and the operation bytes are never modified
// and may be aliased by nothing in the result (the result is a fresh
// slice); every returned tuple is one well-formed MessagePack array; any
// input, however malformed, yields an error, never a panic.
//
// The package is pure: no I/O, no logging, no mutable globals. UPSERT
// callers that want Tarantool's "UPSERT operation failed:" log lines get
// the skipped errors through ApplyUpsertFunc and log them themselves.
//
// Arithmetic with a decimal (MP_DECIMAL) operand computes in decimals and
// stores a decimal, as 2.6 does: the other operand converts exactly from
// an integer and through 15 digits from a double, a double without a
// decimal (NaN, infinities) is ER_UPDATE_ARG_TYPE, and a result beyond 38
// digits is ER_UPDATE_DECIMAL_OVERFLOW.
//
// Not supported: space-format field types below the top level
// (Options.DoubleField sees top-level field numbers only).
package tupleupdate
