// Package memtx is Spindle's in-memory storage engine, after Tarantool 2.6's
// memtx: tuples, key definitions and comparison, field types and space
// formats, TREE and HASH indexes with their iterators, the per-space
// multi-index replace, and copy-on-write read views.
//
// # What it owns
//
//   - Tuple: an immutable msgpack array shared by every index, read view and
//     the Lua layer. Fields are decoded straight from the bytes; nothing is
//     cached per tuple beyond the field count. A tuple is one allocation
//     without Go pointers, an 8-byte header followed by the bytes (a []byte
//     from NewTuple, or a slice of an Arena block), so the collector marks
//     one object per tuple and never scans it. Memory per stored tuple:
//     its bytes, the 8-byte header, the allocation's rounding (Go's size
//     classes: about 8 bytes on typical tuples; an arena rounds to 8 bytes
//     only) and a 16-byte entry per index at the B+tree's fill factor.
//     TupleOverhead (box.slab.info, memtx_memory) counts the first three and
//     the primary entry; BenchmarkReplace reports the heap bytes per tuple.
//     Search keys ("pivots") use the same layout, in one buffer per index
//     that point lookups and iterator seeks reuse.
//   - Field types and checks with Tarantool 2.6's exact errors
//     (ER_FIELD_TYPE, ER_FIELD_MISSING, ER_EXACT_FIELD_COUNT for tuples;
//     ER_KEY_PART_TYPE, ER_KEY_PART_COUNT, ER_EXACT_MATCH, ER_PARTIAL_KEY for
//     keys). A space's field requirements are the merge of its format and
//     every index part, the stricter type winning, as tuple_format does.
//   - Comparison: exact across unsigned/integer/double (2^63 vs 9.3e18,
//     -1 vs 2^64-1), NaN below every number, scalar class order nil <
//     boolean < number < string < varbinary, nil first in nullable parts,
//     "unicode"/"unicode_ci" collations through golang.org/x/text/collate.
//   - TREE indexes: a B+tree of Spindle's own (bpstree.go, after
//     Tarantool's bps_tree; why not a library is said there) ordered by the
//     index's cmp_def (key parts, then the primary key parts the key lacks, so a
//     non-unique index orders equal keys by primary key and a unique nullable
//     index admits many nils). Search keys are "pivot" tuples that compare
//     below (or above) every tuple with their prefix, so one B+tree seek
//     positions any iterator type on partial keys.
//   - Comparison hints (hint.go, after Tarantool's tuple_hint): a TREE
//     entry is {hint, *Tuple}, the hint an order-preserving 64-bit summary
//     of the first key part computed once per insert and once per search
//     key. The B+tree compares hints and reads tuples only on a tie, so a
//     search step rarely dereferences a tuple; the ordering is still
//     exactly cmp_def's (TestHintOrder, FuzzHintOrder). The entry grows
//     from 8 to 16 bytes; the tuple header, first a slice and then a
//     pointer and a length, went from 32 to 8 bytes.
//   - HASH indexes: also a bpsTree, ordered by a 64-bit hash of the key and
//     then the key. A Go map would give O(1) lookups but no cheap consistent
//     copy for read views (it would need a full copy or a hand-made COW
//     scheme) and no stable order for GT paging; the B+tree gives both with
//     the same code as TREE, at O(log n) with one integer comparison per
//     step (the hash is the HASH entry's hint). Values that compare equal
//     hash equal (1 and 1.0, "a" and "A" under unicode_ci).
//   - Space.Replace: Tarantool's memtx_space_replace_all_keys semantics, but
//     every conflict is checked before any index changes, so an error leaves
//     all indexes untouched without an undo pass.
//   - ReadView: an O(1) Copy of the primary B+tree. Writers copy the nodes
//     they touch (per-node isolation ids), so a view can be read from
//     another goroutine (snapshot, JOIN) while writes go on.
//   - Bulk loads (arena.go, Space.Load): tuples carved from large blocks,
//     appended to a TREE primary index when they come in key order
//     (snapshots, initial join data), which leaves its leaves nearly full.
//
// # Invariants
//
//   - Every stored tuple satisfies the space's merged field requirements and
//     is in every index exactly once; ordering by cmp_def is total.
//   - Stored tuples are never modified; pivots (search keys) never enter an
//     index.
//   - A Tuple is only ever handled by pointer: its bytes follow the header
//     in memory, so a copied header would read whatever follows the copy
//     (go vet's copylocks check reports copies, through a noCopy field). A
//     pivot lives in its index's pivot buffer and is dead once the call
//     that seeks with it returns.
//   - An entry's hint is a function of its tuple's key alone (the same on
//     insert, lookup and delete), and hint order never contradicts cmp_def
//     order: hint(a) < hint(b) implies a < b; equal keys hint alike.
//   - Iterators remember the last tuple they returned and re-seek strictly
//     after it (in their direction) when the index changed, as memtx does
//     for Lua pairs() loops that modify the space.
//   - Bad keys and tuples yield a boxerr error, never a panic; comparators
//     are total even on bytes that were never validated. A panic here means
//     a broken internal invariant.
//
// # What it must never do
//
// No I/O, no clock, no goroutines and no locks: callers serialize all
// access to spaces and indexes (the tx baton); only ReadView may be used
// from another goroutine. No catalog, privileges, transactions or WAL: the
// box package owns those and calls Replace once per statement.
//
// Not supported yet: the uuid field type, multikey and JSON-path parts,
// functional indexes, RTREE and BITSET.
package memtx
