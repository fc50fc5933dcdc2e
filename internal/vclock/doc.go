// Package vclock is Tarantool's vector clock: one LSN per replica id
// (0..VCLOCK_MAX-1), the partial order between clocks, the signature used to
// name .xlog/.snap files, the text form written in file meta headers and the
// MessagePack form carried by IPROTO.
//
// Vocabulary (src/box/vclock.h in Tarantool 2.6.0):
//
//   - component i holds the LSN of the last row that originated at replica i;
//     component 0 counts rows of is_local spaces and is never replicated;
//   - a component is "present" when its bit is set in the map; Get of an
//     absent component is 0;
//   - the signature (Sum) is the sum of all components including 0; file
//     names are %020d of it;
//   - Compare is the partial order: Less, Equal, Greater or Incomparable.
//
// Invariants: every present LSN is >= 0; the cached signature always equals
// the sum of the components. Follow never moves a component backwards: doing
// so is a broken invariant of the caller (a WAL or applier bug) and panics,
// exactly as Tarantool asserts. Decoders of external bytes (Parse,
// DecodeIgnore0, Decode) never panic: they return an error instead.
//
// The package is pure: it does no I/O, reads no clock and imports only the
// msgpack codec and boxerr.
package vclock
