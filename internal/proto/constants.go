package proto

import (
	"strings"

	"github.com/spindledb/spindle/internal/msgpack"
)

// Request and response types (enum iproto_type). They are untyped so they
// compare directly with xrow.Row.Type.
const (
	OK             = 0  // IPROTO_OK: acknowledgement, and the type of every success reply
	Select         = 1  // IPROTO_SELECT
	Insert         = 2  // IPROTO_INSERT
	Replace        = 3  // IPROTO_REPLACE
	Update         = 4  // IPROTO_UPDATE
	Delete         = 5  // IPROTO_DELETE
	Call16         = 6  // IPROTO_CALL_16: wraps each result in a tuple
	Auth           = 7  // IPROTO_AUTH
	Eval           = 8  // IPROTO_EVAL
	Upsert         = 9  // IPROTO_UPSERT
	Call           = 10 // IPROTO_CALL
	Execute        = 11 // IPROTO_EXECUTE (SQL)
	Nop            = 12 // IPROTO_NOP: a DML no-op that only bumps the LSN
	Prepare        = 13 // IPROTO_PREPARE (SQL)
	Confirm        = 40 // IPROTO_CONFIRM (synchronous replication)
	Rollback       = 41 // IPROTO_ROLLBACK (synchronous replication)
	Ping           = 64 // IPROTO_PING
	Join           = 65 // IPROTO_JOIN
	Subscribe      = 66 // IPROTO_SUBSCRIBE
	VoteDeprecated = 67 // IPROTO_VOTE_DEPRECATED
	Vote           = 68 // IPROTO_VOTE
	FetchSnapshot  = 69 // IPROTO_FETCH_SNAPSHOT
	Register       = 70 // IPROTO_REGISTER
	Chunk          = 128
	// TypeError is or-ed with an error code to form an error reply type.
	TypeError = 1 << 15
)

// IsDML reports whether typ is a data manipulation request as replication
// counts it: SELECT..DELETE, UPSERT and NOP (iproto_type_is_dml).
func IsDML(typ uint32) bool {
	return (typ >= Select && typ <= Delete) || typ == Upsert || typ == Nop
}

// IsError reports whether a reply type carries an error; its code is
// typ &^ TypeError.
func IsError(typ uint32) bool { return typ&TypeError != 0 }

// Header and body map keys (enum iproto_key).
const (
	KeyRequestType   = 0x00
	KeySync          = 0x01
	KeyReplicaID     = 0x02
	KeyLSN           = 0x03
	KeyTimestamp     = 0x04
	KeySchemaVersion = 0x05
	KeyServerVersion = 0x06
	KeyGroupID       = 0x07
	KeyTSN           = 0x08
	KeyFlags         = 0x09

	KeySpaceID   = 0x10
	KeyIndexID   = 0x11
	KeyLimit     = 0x12
	KeyOffset    = 0x13
	KeyIterator  = 0x14
	KeyIndexBase = 0x15

	KeyKey          = 0x20
	KeyTuple        = 0x21
	KeyFunctionName = 0x22
	KeyUserName     = 0x23
	KeyInstanceUUID = 0x24
	KeyClusterUUID  = 0x25
	KeyVClock       = 0x26
	KeyExpr         = 0x27
	KeyOps          = 0x28
	KeyBallot       = 0x29
	KeyTupleMeta    = 0x2a
	KeyOptions      = 0x2b

	KeyData         = 0x30
	KeyError24      = 0x31 // the error message string every client reads
	KeyMetadata     = 0x32
	KeyBindMetadata = 0x33
	KeyBindCount    = 0x34

	KeySQLText = 0x40
	KeySQLBind = 0x41
	KeySQLInfo = 0x42
	KeyStmtID  = 0x43

	KeyReplicaAnon = 0x50
	KeyIDFilter    = 0x51
	KeyError       = 0x52 // MP_ERROR stack

	// KeyMax is one past the largest key 2.6.0 knows (IPROTO_KEY_MAX).
	// Header keys at or above it are rejected.
	KeyMax = 0x53
)

// Metadata entry keys of EXECUTE replies (enum iproto_metadata_key).
const (
	FieldName            = 0
	FieldType            = 1
	FieldColl            = 2
	FieldIsNullable      = 3
	FieldIsAutoincrement = 4
	FieldSpan            = 5
)

// Ballot map keys of a VOTE reply (enum iproto_ballot_key).
const (
	BallotIsRO      = 0x01
	BallotVClock    = 0x02
	BallotGCVClock  = 0x03
	BallotIsLoading = 0x04
)

// FlagCommit marks the last row of a transaction in the FLAGS header key.
const FlagCommit = 0x01

// MP_ERROR keys: the map under KeyError has one key, ErrorStack, whose
// value is an array of maps keyed by the ErrorXxx constants.
const (
	ErrorStack   = 0x00
	ErrorType    = 0x00
	ErrorFile    = 0x01
	ErrorLine    = 0x02
	ErrorMessage = 0x03
	ErrorErrno   = 0x04
	ErrorCode    = 0x05
	ErrorFields  = 0x06
)

// GreetingSize is the size of the text greeting a server sends first.
const GreetingSize = 128

// ScrambleSize is the size of a chap-sha1 scramble and of the salt prefix
// it uses.
const ScrambleSize = 20

// BodyLenMax is the largest packet length iproto accepts (2 GiB).
const BodyLenMax = 2 << 30

// VClockMax is the number of vclock components (VCLOCK_MAX); replica ids
// in vclocks and ID_FILTER must be below it.
const VClockMax = 32

// keyType is iproto_key_type: the msgpack type a header key's value (and a
// DML body key's value) must have. Keys 0x2c..0x52 have no entry in
// Tarantool's table, which C zero-fills to MP_NIL; a nil value is the only
// one accepted for them.
var keyType = func() [KeyMax]msgpack.Type {
	var t [KeyMax]msgpack.Type
	for k := range t {
		t[k] = msgpack.Nil
	}
	for k := 0x00; k < 0x20; k++ {
		t[k] = msgpack.Uint
	}
	t[KeyTimestamp] = msgpack.Double
	t[KeyKey] = msgpack.Array
	t[KeyTuple] = msgpack.Array
	t[KeyFunctionName] = msgpack.Str
	t[KeyUserName] = msgpack.Str
	t[KeyInstanceUUID] = msgpack.Str
	t[KeyClusterUUID] = msgpack.Str
	t[KeyVClock] = msgpack.Map
	t[KeyExpr] = msgpack.Str
	t[KeyOps] = msgpack.Array
	t[KeyBallot] = msgpack.Map
	t[KeyTupleMeta] = msgpack.Map
	t[KeyOptions] = msgpack.Map
	return t
}()

// keyNames is iproto_key_strs: the names ER_MISSING_REQUEST_FIELD prints.
var keyNames = map[uint8]string{
	0x00: "type", 0x01: "sync", 0x02: "replica id", 0x03: "lsn",
	0x04: "timestamp", 0x05: "schema version", 0x06: "server version",
	0x07: "group id", 0x08: "tsn", 0x09: "flags",
	0x10: "space id", 0x11: "index id", 0x12: "limit", 0x13: "offset",
	0x14: "iterator", 0x15: "index base",
	0x20: "key", 0x21: "tuple", 0x22: "function name", 0x23: "user name",
	0x24: "instance uuid", 0x25: "cluster uuid", 0x26: "vector clock",
	0x27: "expression", 0x28: "operations", 0x29: "ballot",
	0x2a: "tuple meta", 0x2b: "options",
	0x30: "data", 0x31: "error", 0x32: "metadata", 0x33: "bind meta",
	0x34: "bind count",
	0x40: "SQL text", 0x41: "SQL bind", 0x42: "SQL info", 0x43: "stmt id",
}

// KeyName returns Tarantool's name of an IPROTO key ("space id", "limit",
// ...), or "" for a key without a name.
func KeyName(key uint8) string { return keyNames[key] }

// typeNames is iproto_type_strs plus the types box.stat and logs name.
var typeNames = map[uint32]string{
	Select: "SELECT", Insert: "INSERT", Replace: "REPLACE", Update: "UPDATE",
	Delete: "DELETE", Call16: "CALL_16", Auth: "AUTH", Eval: "EVAL",
	Upsert: "UPSERT", Call: "CALL", Execute: "EXECUTE", Nop: "NOP",
	Prepare: "PREPARE", Confirm: "CONFIRM", Rollback: "ROLLBACK",
	Ping: "PING", Join: "JOIN", Subscribe: "SUBSCRIBE",
	VoteDeprecated: "VOTE_DEPRECATED", Vote: "VOTE",
	FetchSnapshot: "FETCH_SNAPSHOT", Register: "REGISTER", Chunk: "CHUNK",
	OK: "OK",
}

// TypeName returns the upper-case name of a request type ("SELECT"), or
// "" for an unknown type.
func TypeName(typ uint32) string { return typeNames[typ] }

// Iterator is an index iterator type (enum iterator_type) as carried by
// the ITERATOR body key.
type Iterator uint32

// Iterator types. LT, LE and REQ walk the index backwards.
const (
	IterEQ            Iterator = 0
	IterREQ           Iterator = 1
	IterAll           Iterator = 2
	IterLT            Iterator = 3
	IterLE            Iterator = 4
	IterGE            Iterator = 5
	IterGT            Iterator = 6
	IterBitsAllSet    Iterator = 7
	IterBitsAnySet    Iterator = 8
	IterBitsAllNotSet Iterator = 9
	IterOverlaps      Iterator = 10
	IterNeighbor      Iterator = 11
)

// iteratorNames is iterator_type_strs: the names box.index accepts as
// strings and prints in errors.
var iteratorNames = [...]string{
	"EQ", "REQ", "ALL", "LT", "LE", "GE", "GT",
	"BITS_ALL_SET", "BITS_ANY_SET", "BITS_ALL_NOT_SET", "OVERLAPS", "NEIGHBOR",
}

// String returns Tarantool's name of the iterator ("EQ", "GE", ...).
func (it Iterator) String() string {
	if int(it) < len(iteratorNames) {
		return iteratorNames[it]
	}
	return "UNKNOWN"
}

// Valid reports whether it is one of the twelve iterator types.
func (it Iterator) Valid() bool { return int(it) < len(iteratorNames) }

// IsReverse reports whether the iterator returns rows in descending
// order (LT, LE, REQ).
func (it Iterator) IsReverse() bool { return it == IterLT || it == IterLE || it == IterREQ }

// ParseIterator maps an iterator name as Lua spells it ("EQ", "ge",
// "BITS_ALL_SET") to its code.
func ParseIterator(name string) (Iterator, bool) {
	for i, n := range iteratorNames {
		if strings.EqualFold(n, name) {
			return Iterator(i), true
		}
	}
	return 0, false
}
