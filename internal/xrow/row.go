package xrow

// Row is one IPROTO/WAL row: a request header plus its msgpack body. The
// same value travels from box (a committed statement) through the WAL (an
// .xlog row) to relays (a replication stream row) and appliers.
//
// Body is the encoded request body map exactly as IPROTO carries it
// (SPACE_ID, INDEX_ID, KEY, TUPLE, OPS, INDEX_BASE ...); it is nil for NOP
// rows and heartbeats. A Row does not own Body: whoever builds the row must
// not modify Body afterwards.
type Row struct {
	Type      uint16  // request type: INSERT, REPLACE, UPDATE, UPSERT, DELETE, NOP, OK, ...
	Sync      uint64  // request sync; never stored in .xlog files
	ReplicaID uint32  // origin instance id; 0 for local (group 1) rows
	GroupID   uint32  // 1 for rows of is_local spaces, else 0
	LSN       int64   // origin's sequence number (vclock[ReplicaID], or vclock[0] for local rows)
	Timestamp float64 // seconds since the epoch, set when the row is written
	TSN       int64   // LSN of the first row of the transaction (absolute; the codec deltas it)
	IsCommit  bool    // last row of its transaction
	// SchemaVersion is sent in replies only; 0 means absent.
	SchemaVersion uint64
	// Body is the encoded body map (see above); nil when absent.
	Body []byte
}
