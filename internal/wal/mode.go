package wal

import (
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vfs"
)

// Mode is box.cfg.wal_mode.
type Mode uint8

// WAL modes.
const (
	// ModeNone writes nothing; LSNs still advance.
	ModeNone Mode = iota
	// ModeWrite writes every batch before acknowledging it, without fsync.
	ModeWrite
	// ModeFsync writes and fsyncs every batch before acknowledging it.
	ModeFsync
)

var modeNames = [...]string{ModeNone: "none", ModeWrite: "write", ModeFsync: "fsync"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "invalid"
}

// ParseMode parses a box.cfg.wal_mode value.
func ParseMode(s string) (Mode, bool) {
	for m, n := range modeNames {
		if n == s {
			return Mode(m), true
		}
	}
	return 0, false
}

// DefaultMaxSize is the default wal_max_size: 256 MiB.
const DefaultMaxSize = 256 << 20

// Logger receives log lines; *say.Logger implements it.
type Logger interface {
	Log(who string, level say.Level, msg string)
}

// whoWAL is the cord name Tarantool's WAL thread logs under.
const whoWAL = "wal"

func isNotExist(err error) bool { return vfs.IsNotExist(err) }
