package proto

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Request is a decoded request body. Which fields are set depends on
// Type; byte-slice fields hold raw msgpack and alias the decoded body.
type Request struct {
	// Type is the request type the body was decoded as: the low eight
	// bits of the header type, as iproto_msg_decode sees it.
	Type uint32

	// DML (SELECT, INSERT, REPLACE, UPDATE, DELETE, UPSERT).
	SpaceID   uint32
	IndexID   uint32
	Offset    uint32
	Limit     uint32
	Iterator  Iterator
	IndexBase int    // 1 when UPDATE/UPSERT ops count fields from 1 (Lua), else 0
	Key       []byte // msgpack array; SELECT, UPDATE, DELETE
	Tuple     []byte // msgpack array; INSERT, REPLACE, UPSERT; UPDATE ops (legacy)
	Ops       []byte // msgpack array; UPSERT ops
	TupleMeta []byte // msgpack map, if sent

	// CALL, CALL_16, EVAL.
	FunctionName string
	Expr         string
	Args         []byte // msgpack array; [] (0x90) when absent

	// AUTH: the user and the raw ["chap-sha1", scramble] tuple, kept in
	// Tuple. See ParseAuthTuple.
	UserName string

	// EXECUTE, PREPARE: raw values of SQL_TEXT, SQL_BIND, STMT_ID.
	SQLText []byte
	SQLBind []byte
	StmtID  []byte

	// JOIN, SUBSCRIBE, REGISTER, FETCH_SNAPSHOT.
	InstanceUUID string
	ClusterUUID  string
	VClock       map[uint32]int64 // replica id -> lsn; never holds id 0 or lsn 0
	VersionID    uint32           // SERVER_VERSION of the replica
	Anon         bool             // REPLICA_ANON
	IDFilter     uint32           // bit i set: do not send rows of replica i
}

// emptyArray is the default CALL/EVAL argument list.
var emptyArray = []byte{0x90}

// Required-key bitmaps (iproto_body_key_map) of the DML types.
var dmlKeyMap = [...]uint64{
	Select:  1<<KeySpaceID | 1<<KeyLimit | 1<<KeyKey,
	Insert:  1<<KeySpaceID | 1<<KeyTuple,
	Replace: 1<<KeySpaceID | 1<<KeyTuple,
	Update:  1<<KeySpaceID | 1<<KeyKey | 1<<KeyTuple,
	Delete:  1<<KeySpaceID | 1<<KeyKey,
	Upsert:  1<<KeySpaceID | 1<<KeyOps | 1<<KeyTuple,
}

// dmlBodyKeys is IPROTO_DML_BODY_BMAP: the keys the DML decoder reads.
const dmlBodyKeys = 1<<KeySpaceID | 1<<KeyIndexID | 1<<KeyLimit | 1<<KeyOffset |
	1<<KeyIterator | 1<<KeyIndexBase | 1<<KeyKey | 1<<KeyTuple | 1<<KeyOps |
	1<<KeyTupleMeta

// Which replication keys a request type decodes. A key a type does not
// decode is skipped unchecked, as xrow_decode_subscribe does when handed
// a NULL output.
const (
	replClusterUUID = 1 << iota
	replInstanceUUID
	replVClock
	replVersion
	replAnon
	replIDFilter
	replAll = replClusterUUID | replInstanceUUID | replVClock | replVersion | replAnon | replIDFilter
)

// DecodeRequest decodes the body of a client request of type typ (a
// header's Row.Type) with the checks iproto_msg_decode applies before a
// request reaches tx:
//
//   - SELECT..DELETE, UPSERT: xrow_decode_dml with the type's
//     required keys; a missing one is ER_MISSING_REQUEST_FIELD naming the
//     lowest missing key ("Missing mandatory field 'limit' in request").
//   - CALL, CALL_16, EVAL: xrow_decode_call ('function name',
//     'expression'); AUTH: xrow_decode_auth ('user name', 'tuple').
//   - EXECUTE, PREPARE: xrow_decode_sql.
//   - JOIN, SUBSCRIBE, REGISTER, FETCH_SNAPSHOT: xrow_decode_subscribe
//     with the keys box.cc reads for that type.
//   - PING, VOTE, VOTE_DEPRECATED: no body is read.
//
// Any other type, NOP, CONFIRM and ROLLBACK included (they only arrive
// in WAL and replication rows; see package xrow and DecodeSynchro), is
// ER_UNKNOWN_REQUEST_TYPE. Like iproto_msg_decode, the
// type is cut to its low eight bits first, so 0x8030 is "Unknown request
// type 48". body is the body DecodeHeader returned (nil if none).
func DecodeRequest(typ uint16, body []byte) (Request, error) {
	r := Request{Type: uint32(uint8(typ))}
	var err error
	switch r.Type {
	case Select, Insert, Replace, Update, Delete, Upsert:
		err = r.decodeDML(body, dmlKeyMap[r.Type])
	case Call16, Call, Eval:
		err = r.decodeCall(body)
	case Auth:
		err = r.decodeAuth(body)
	case Execute, Prepare:
		err = r.decodeSQL(body)
	case Join:
		err = r.decodeReplication(body, replInstanceUUID)
	case Register:
		err = r.decodeReplication(body, replInstanceUUID|replVClock)
	case Subscribe:
		err = r.decodeReplication(body, replInstanceUUID|replVClock|replVersion|replAnon|replIDFilter)
	case FetchSnapshot:
		// 2.6's applier sends it without a body (xrow_encode_type).
		if len(body) > 0 {
			err = r.decodeReplication(body, replVersion)
		}
	case Ping, Vote, VoteDeprecated:
	default:
		err = boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, r.Type)
	}
	return r, err
}

// DecodeReplicaBody decodes every replication key of a body: the
// SUBSCRIBE request keys and the {CLUSTER_UUID, VCLOCK} of a SUBSCRIBE or
// JOIN reply, as an applier reads them.
func DecodeReplicaBody(body []byte) (Request, error) {
	var r Request
	err := r.decodeReplication(body, replAll)
	return r, err
}

// checkMap validates that body is exactly one msgpack map; errNotMap is
// returned when it is some other value.
func checkMap(body []byte) error {
	n, err := msgpack.Skip(body)
	if err != nil || msgpack.TypeOf(body) != msgpack.Map {
		return errBody()
	}
	if n != len(body) {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet end")
	}
	return nil
}

func missing(key uint8) error {
	return boxerr.New(boxerr.ER_MISSING_REQUEST_FIELD, KeyName(key))
}

// lowestKey returns the lowest key whose bit is set in m (bit_ctz_u64).
func lowestKey(m uint64) uint8 {
	for k := uint8(0); k < 64; k++ {
		if m&(1<<k) != 0 {
			return k
		}
	}
	return 0
}

func (r *Request) decodeDML(body []byte, required uint64) error {
	if len(body) > 0 {
		if err := checkMap(body); err != nil {
			return err
		}
		cnt, pos, _ := msgpack.ReadMapHeader(body)
		for i := uint32(0); i < cnt; i++ {
			// Only a key written as a one-byte fixint is recognized;
			// iproto_dml_body_has_key looks at the raw byte.
			k := body[pos]
			if k >= KeyMax || dmlBodyKeys&(uint64(1)<<k) == 0 {
				n, _ := msgpack.Skip(body[pos:])
				pos += n
				n, _ = msgpack.Skip(body[pos:])
				pos += n
				continue
			}
			pos++
			v := body[pos:]
			n, _ := msgpack.Skip(v)
			v = v[:n]
			pos += n
			if keyType[k] != msgpack.TypeOf(v) {
				return errBody()
			}
			required &^= 1 << k
			switch k {
			case KeySpaceID:
				r.SpaceID = readU32(v)
			case KeyIndexID:
				r.IndexID = readU32(v)
			case KeyOffset:
				r.Offset = readU32(v)
			case KeyLimit:
				r.Limit = readU32(v)
			case KeyIterator:
				r.Iterator = Iterator(readU32(v))
			case KeyIndexBase:
				r.IndexBase = int(int32(readU32(v)))
			case KeyKey:
				r.Key = v
			case KeyTuple:
				r.Tuple = v
			case KeyOps:
				r.Ops = v
			case KeyTupleMeta:
				r.TupleMeta = v
			}
		}
	}
	if required != 0 {
		return missing(lowestKey(required))
	}
	return nil
}

// readU32 reads a validated msgpack uint, keeping its low 32 bits as
// mp_decode_uint into a uint32_t field does.
func readU32(v []byte) uint32 {
	u, _, _ := msgpack.ReadUint(v)
	return uint32(u)
}

// forEachUintKey walks a validated map, calling fn with each uint key and
// its value. A non-uint key is "packet body", as in xrow_decode_call and
// xrow_decode_auth.
func forEachUintKey(body []byte, fn func(key uint64, v []byte) error) error {
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
			return errBody()
		}
		key, n, _ := msgpack.ReadUint(body[pos:])
		pos += n
		n, _ = msgpack.Skip(body[pos:])
		if err := fn(key, body[pos:pos+n]); err != nil {
			return err
		}
		pos += n
	}
	return nil
}

func (r *Request) decodeCall(body []byte) error {
	if len(body) == 0 {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "missing request body")
	}
	if err := checkMap(body); err != nil {
		return err
	}
	var hasName, hasExpr bool
	err := forEachUintKey(body, func(key uint64, v []byte) error {
		switch key {
		case KeyFunctionName:
			if msgpack.TypeOf(v) != msgpack.Str {
				return errBody()
			}
			r.FunctionName, _, _ = msgpack.ReadString(v)
			hasName = true
		case KeyExpr:
			if msgpack.TypeOf(v) != msgpack.Str {
				return errBody()
			}
			r.Expr, _, _ = msgpack.ReadString(v)
			hasExpr = true
		case KeyTuple:
			if msgpack.TypeOf(v) != msgpack.Array {
				return errBody()
			}
			r.Args = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.Type == Eval {
		if !hasExpr {
			return missing(KeyExpr)
		}
	} else if !hasName {
		return missing(KeyFunctionName)
	}
	if r.Args == nil {
		r.Args = emptyArray
	}
	return nil
}

func (r *Request) decodeAuth(body []byte) error {
	if len(body) == 0 {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "missing request body")
	}
	if err := checkMap(body); err != nil {
		return err
	}
	var hasUser bool
	err := forEachUintKey(body, func(key uint64, v []byte) error {
		switch key {
		case KeyUserName:
			if msgpack.TypeOf(v) != msgpack.Str {
				return errBody()
			}
			r.UserName, _, _ = msgpack.ReadString(v)
			hasUser = true
		case KeyTuple:
			if msgpack.TypeOf(v) != msgpack.Array {
				return errBody()
			}
			r.Tuple = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !hasUser {
		return missing(KeyUserName)
	}
	if r.Tuple == nil {
		return missing(KeyTuple)
	}
	return nil
}

// ParseAuthTuple splits an AUTH tuple into its part count and scramble
// with authenticate()'s checks. A tuple of zero parts is returned as
// (0, nil, nil): only guest without a password may use it, which is the
// caller's decision. Otherwise the tuple needs two parts, the second a
// str or bin of exactly ScrambleSize bytes; the mechanism name is not
// checked, as 2.6.0 does not check it.
func ParseAuthTuple(tuple []byte) (parts uint32, scramble []byte, err error) {
	cnt, pos, err := msgpack.ReadArrayHeader(tuple)
	if err != nil {
		return 0, nil, errBody()
	}
	if cnt == 0 {
		return 0, nil, nil
	}
	if cnt < 2 {
		return cnt, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "authentication request body")
	}
	n, err := msgpack.Skip(tuple[pos:])
	if err != nil {
		return cnt, nil, errBody()
	}
	pos += n
	switch msgpack.TypeOf(tuple[pos:]) {
	case msgpack.Str:
		scramble, _, err = msgpack.ReadStr(tuple[pos:])
	case msgpack.Bin:
		scramble, _, err = msgpack.ReadBin(tuple[pos:])
	default:
		return cnt, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "authentication scramble")
	}
	if err != nil {
		return cnt, nil, errBody()
	}
	if len(scramble) != ScrambleSize {
		return cnt, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid scramble size")
	}
	return cnt, scramble, nil
}

// AppendAuthBody appends the body of an AUTH request:
// {USER_NAME: user, TUPLE: ["chap-sha1", scramble]}.
func AppendAuthBody(dst []byte, user string, scramble []byte) []byte {
	dst = msgpack.AppendMapHeader(dst, 2)
	dst = msgpack.AppendUint(dst, KeyUserName)
	dst = msgpack.AppendString(dst, user)
	dst = msgpack.AppendUint(dst, KeyTuple)
	dst = msgpack.AppendArrayHeader(dst, 2)
	dst = msgpack.AppendString(dst, AuthMethod)
	return msgpack.AppendStringBytes(dst, scramble)
}

func (r *Request) decodeSQL(body []byte) error {
	if len(body) == 0 {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "missing request body")
	}
	if err := checkMap(body); err != nil {
		return err
	}
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		k := body[pos] // xrow_decode_sql compares the raw key byte
		n, _ := msgpack.Skip(body[pos:])
		if k != KeySQLBind && k != KeySQLText && k != KeyStmtID {
			pos += n
			n, _ = msgpack.Skip(body[pos:])
			pos += n
			continue
		}
		pos++
		n, _ = msgpack.Skip(body[pos:])
		v := body[pos : pos+n]
		pos += n
		switch k {
		case KeySQLBind:
			r.SQLBind = v
		case KeySQLText:
			r.SQLText = v
		default:
			r.StmtID = v
		}
	}
	if r.SQLText != nil && r.StmtID != nil {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK,
			"SQL text and statement id are incompatible options in one request: choose one")
	}
	if r.SQLText == nil && r.StmtID == nil {
		return boxerr.New(boxerr.ER_MISSING_REQUEST_FIELD, KeyName(KeySQLText)+" or "+KeyName(KeyStmtID))
	}
	return nil
}

func errRequestBody() error { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "request body") }

// decodeReplication follows xrow_decode_subscribe. Keys are cut to eight
// bits and non-uint keys are skipped, as there.
func (r *Request) decodeReplication(body []byte, want int) error {
	if len(body) == 0 {
		return errRequestBody()
	}
	if n, err := msgpack.Skip(body); err != nil || n != len(body) || msgpack.TypeOf(body) != msgpack.Map {
		return errRequestBody()
	}
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
			n, _ := msgpack.Skip(body[pos:])
			pos += n
			n, _ = msgpack.Skip(body[pos:])
			pos += n
			continue
		}
		k, n, _ := msgpack.ReadUint(body[pos:])
		pos += n
		n, _ = msgpack.Skip(body[pos:])
		v := body[pos : pos+n]
		pos += n
		var err error
		switch key := uint8(k); {
		case key == KeyClusterUUID && want&replClusterUUID != 0:
			r.ClusterUUID, err = decodeUUID(v)
		case key == KeyInstanceUUID && want&replInstanceUUID != 0:
			r.InstanceUUID, err = decodeUUID(v)
		case key == KeyVClock && want&replVClock != 0:
			r.VClock, err = DecodeVClock(v)
		case key == KeyServerVersion && want&replVersion != 0:
			if msgpack.TypeOf(v) != msgpack.Uint {
				return boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid VERSION")
			}
			r.VersionID = readU32(v)
		case key == KeyReplicaAnon && want&replAnon != 0:
			if msgpack.TypeOf(v) != msgpack.Bool {
				return boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid REPLICA_ANON flag")
			}
			r.Anon, _, _ = msgpack.ReadBool(v)
		case key == KeyIDFilter && want&replIDFilter != 0:
			r.IDFilter, err = decodeIDFilter(v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeUUID(v []byte) (string, error) {
	s, _, err := msgpack.ReadString(v)
	if err != nil || !validUUID(s) || !uuidVariantOK(s) {
		return "", boxerr.New(boxerr.ER_INVALID_MSGPACK, "UUID")
	}
	return lower(s), nil
}

// uuidVariantOK is tt_uuid_validate: the variant bits must be NCS (0xx),
// RFC 4122 (10x) or Microsoft (110).
func uuidVariantOK(s string) bool {
	c := hexVal(s[19])<<4 | hexVal(s[20])
	return c&0x80 == 0 || c&0xc0 == 0x80 || c&0xe0 == 0xc0
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'F' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// DecodeVClock decodes a vclock map {replica id: lsn} as
// mp_decode_vclock_ignore0 does: ids and lsns must be uints, entries for
// id 0 and zero lsns are dropped. Ids at or above VClockMax, which
// Tarantool would trip an assertion on, are rejected. Errors are
// ER_INVALID_MSGPACK "invalid VCLOCK".
func DecodeVClock(v []byte) (map[uint32]int64, error) {
	bad := func() (map[uint32]int64, error) {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid VCLOCK")
	}
	cnt, pos, err := msgpack.ReadMapHeader(v)
	if err != nil {
		return bad()
	}
	vc := make(map[uint32]int64, min(cnt, VClockMax))
	for i := uint32(0); i < cnt; i++ {
		id, n, err := msgpack.ReadUint(v[pos:])
		if err != nil || msgpack.TypeOf(v[pos:]) != msgpack.Uint {
			return bad()
		}
		pos += n
		lsn, n, err := msgpack.ReadUint(v[pos:])
		if err != nil || msgpack.TypeOf(v[pos:]) != msgpack.Uint {
			return bad()
		}
		pos += n
		if uint32(id) == 0 || int64(lsn) <= 0 {
			continue
		}
		if id >= VClockMax {
			return bad()
		}
		vc[uint32(id)] = int64(lsn)
	}
	return vc, nil
}

// AppendVClock encodes a vclock the way replication sends it: a map of
// the non-zero components, component 0 left out ("ignore0"), ids in
// ascending order.
func AppendVClock(dst []byte, vc map[uint32]int64) []byte {
	var n uint32
	for id, lsn := range vc {
		if id != 0 && lsn != 0 {
			n++
		}
	}
	dst = msgpack.AppendMapHeader(dst, n)
	for id := uint32(1); id < VClockMax; id++ {
		if lsn := vc[id]; lsn != 0 {
			dst = msgpack.AppendUint(dst, uint64(id))
			dst = msgpack.AppendUint(dst, uint64(lsn))
		}
	}
	return dst
}

func decodeIDFilter(v []byte) (uint32, error) {
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid ID_FILTER")
	cnt, pos, err := msgpack.ReadArrayHeader(v)
	if err != nil {
		return 0, bad
	}
	var f uint32
	for i := uint32(0); i < cnt; i++ {
		id, n, err := msgpack.ReadUint(v[pos:])
		if err != nil || msgpack.TypeOf(v[pos:]) != msgpack.Uint || id >= VClockMax {
			return 0, bad
		}
		pos += n
		f |= 1 << id
	}
	return f, nil
}

// DecodeSynchro decodes the body {REPLICA_ID, LSN} of a CONFIRM or
// ROLLBACK row as xrow_decode_confirm_rollback does; errors are
// ER_INVALID_MSGPACK "request body".
func DecodeSynchro(body []byte) (replicaID uint32, lsn int64, err error) {
	if len(body) == 0 {
		return 0, 0, errRequestBody()
	}
	if n, err := msgpack.Skip(body); err != nil || n != len(body) || msgpack.TypeOf(body) != msgpack.Map {
		return 0, 0, errRequestBody()
	}
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
			n, _ := msgpack.Skip(body[pos:])
			pos += n
			n, _ = msgpack.Skip(body[pos:])
			pos += n
			continue
		}
		k, n, _ := msgpack.ReadUint(body[pos:])
		pos += n
		// 2.6.0 compares the table type with the key's own type (always
		// uint), so only keys below 0x20 pass; the values it reads must be
		// uints, which it assumes without a check.
		key := uint8(k)
		if key >= KeyMax || keyType[key] != msgpack.Uint {
			return 0, 0, errRequestBody()
		}
		if key == KeyReplicaID || key == KeyLSN {
			if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
				return 0, 0, errRequestBody()
			}
			u, _, _ := msgpack.ReadUint(body[pos:])
			if key == KeyReplicaID {
				replicaID = uint32(u)
			} else {
				lsn = int64(u)
			}
		}
		n, _ = msgpack.Skip(body[pos:])
		pos += n
	}
	return replicaID, lsn, nil
}
