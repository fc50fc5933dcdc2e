package relay

import (
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// groupLocal is GROUP_LOCAL: rows of is_local spaces.
const groupLocal = 1

// Action is what a relay does with one WAL row.
type Action uint8

const (
	// Send relays the row as it is stored.
	Send Action = iota
	// SendNOP relays the row as a NOP without a body: a local-space row
	// signed with a non-zero replica id, which the replica needs only to
	// advance its vclock.
	SendNOP
	// Skip drops the row.
	Skip
)

func (a Action) String() string {
	switch a {
	case Send:
		return "send"
	case SendNOP:
		return "nop"
	case Skip:
		return "skip"
	}
	return "invalid"
}

// Filter is relay_send_row's decision for one stream.
//
// The zero Filter is the final stage of JOIN: every row is sent except
// replica-local rows signed with replica id 0.
type Filter struct {
	// IDFilter has bit i set when the subscriber asked not to get rows of
	// replica i (SUBSCRIBE's ID_FILTER).
	IDFilter uint32
	// Subscriber is the subscriber's replica id; 0 for JOIN and anonymous
	// replicas. Its own rows are sent back only when they are not above
	// LocalAtSubscribe: rows it lost (say, in a power loss) that this
	// master still has.
	Subscriber       vclock.ReplicaID
	LocalAtSubscribe vclock.VClock
}

// Decide returns what to do with row.
func (f *Filter) Decide(row *xrow.Row) Action {
	act := Send
	if row.GroupID == groupLocal {
		// Local rows are signed with id 0 since 2.x and are never
		// relayed; older ones with a real id advance the vclock only.
		if row.ReplicaID == 0 {
			return Skip
		}
		act = SendNOP
	}
	if row.ReplicaID < vclock.Max && f.IDFilter&(1<<row.ReplicaID) != 0 {
		return Skip
	}
	if f.Subscriber != 0 && vclock.ReplicaID(row.ReplicaID) == f.Subscriber &&
		vclock.LSN(row.LSN) > f.LocalAtSubscribe.Get(f.Subscriber) {
		return Skip
	}
	return act
}

// Apply rewrites row for the wire according to act (SendNOP: type NOP,
// default group, no body) and sets the stream's sync. It reports false
// for Skip.
func Apply(row *xrow.Row, act Action, sync uint64) bool {
	switch act {
	case Skip:
		return false
	case SendNOP:
		row.Type = proto.Nop
		row.GroupID = 0
		row.Body = nil
	}
	row.Sync = sync
	return true
}
