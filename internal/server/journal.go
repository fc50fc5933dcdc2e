package server

import (
	"time"

	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// memJournal numbers the rows of committed transactions in the instance
// vclock without writing them anywhere (the behaviour of wal_mode=none).
// It is replaced by the WAL writer once persistence is configured.
type memJournal struct{ s *Server }

// Write assigns each local row its LSN: rows of is_local spaces advance
// component 0, every other local row the instance's own component; rows
// that arrive with an origin (replication) keep it.
func (j *memJournal) Write(rows []*xrow.Row) error {
	s := j.s
	id := vclock.ReplicaID(1)
	if s.Box != nil && s.Box.InstanceID() != 0 {
		id = vclock.ReplicaID(s.Box.InstanceID())
	}
	now := float64(time.Now().UnixNano()) / 1e9
	var tsn int64
	for i, r := range rows {
		switch {
		case r.ReplicaID != 0 && r.LSN != 0:
			s.vclock.Follow(vclock.ReplicaID(r.ReplicaID), vclock.LSN(r.LSN))
		case r.GroupID == 1:
			r.ReplicaID = 0
			r.LSN = int64(s.vclock.Inc(0))
		default:
			r.ReplicaID = uint32(id)
			r.LSN = int64(s.vclock.Inc(id))
		}
		if i == 0 {
			tsn = r.LSN
		}
		r.TSN = tsn
		r.IsCommit = i == len(rows)-1
		r.Timestamp = now
	}
	return nil
}
