package relay

import (
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/spindledb/spindle/internal/recovery"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

// ErrNoData is returned by Reader.Next when every durable row has been
// read: the caller waits for the WAL to report a new write and calls
// Next again.
var ErrNoData = errors.New("relay: no new rows in the WAL")

// GapError is Tarantool's XlogGapError: the rows after From are in no
// file of the directory (they were collected, or a file is missing).
type GapError = recovery.GapError

// Reader reads the rows of the .xlog files of a WAL directory that come
// after a vclock, in file order, and follows the file the WAL writer is
// still appending to (Tarantool's recovery as a relay drives it).
//
// A Reader is used by one goroutine. It opens files lazily; Close
// releases the open one.
type Reader struct {
	fs  vfs.FS
	dir string
	// pos is the reader's vclock: a row is returned only if its lsn is
	// above pos[replica_id]; pos then follows it.
	pos vclock.VClock

	// Durable, when set, returns the vclock of the rows the WAL has made
	// durable: a row beyond it is held back until it is covered.
	Durable func() vclock.VClock
	// OnOpen, when set, is called with the path of every file opened
	// ("recover from `path'").
	OnOpen func(path string)

	cur     *xlog.Cursor
	curSig  int64
	curMeta vclock.VClock
	started bool // a file has been opened: later files must chain on
	held    *xrow.Row
	rows    int64
}

// NewReader returns a Reader of the xlogs in dir positioned at from: the
// first row returned is the first one not covered by from.
func NewReader(fs vfs.FS, dir string, from vclock.VClock) *Reader {
	return &Reader{fs: fs, dir: dir, pos: from}
}

// VClock returns the reader's position: the vclock of the rows returned
// (and skipped) so far.
func (r *Reader) VClock() vclock.VClock { return r.pos }

// Rows returns how many rows Next has returned.
func (r *Reader) Rows() int64 { return r.rows }

// Close releases the open file.
func (r *Reader) Close() {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
}

// list returns the signatures of the xlogs in the directory, ascending.
func (r *Reader) list() ([]int64, error) {
	names, err := r.fs.ReadDir(r.dir)
	if err != nil {
		return nil, err
	}
	var sigs []int64
	for _, name := range names {
		sig, t, ok := xlog.ParseFileName(name)
		if ok && t == xlog.TypeXlog {
			sigs = append(sigs, sig)
		}
	}
	// ReadDir sorts names, and %020d names sort by signature.
	return sigs, nil
}

// openFirst opens the newest file whose vclock is not above the
// position (recovery_open_log for a new cursor). No such file while
// rows after the position exist is a gap.
func (r *Reader) openFirst() error {
	sigs, err := r.list()
	if err != nil {
		return err
	}
	for i := len(sigs) - 1; i >= 0; i-- {
		if sigs[i] > r.pos.Sum() {
			continue
		}
		c, err := xlog.Open(r.fs, r.dir, sigs[i], xlog.TypeXlog, "")
		if err != nil {
			return err
		}
		vc := *c.Meta().VClock
		if ord := vc.Compare(&r.pos); ord == vclock.Less || ord == vclock.Equal {
			r.setCurrent(c, sigs[i], vc)
			return nil
		}
		c.Close()
	}
	if len(sigs) > 0 || r.behind() {
		to := r.pos
		if len(sigs) > 0 {
			c, err := xlog.Open(r.fs, r.dir, sigs[0], xlog.TypeXlog, "")
			if err != nil {
				return err
			}
			to = *c.Meta().VClock
			c.Close()
		} else if r.Durable != nil {
			to = r.Durable()
		}
		return &GapError{From: r.pos, To: to}
	}
	return ErrNoData
}

// behind reports whether the WAL holds rows after the position.
func (r *Reader) behind() bool {
	if r.Durable == nil {
		return false
	}
	d := r.Durable()
	ord := d.Compare(&r.pos)
	return ord == vclock.Greater || ord == vclock.Incomparable
}

// nextSig returns the signature of the first file after the current one,
// or -1.
func (r *Reader) nextSig() (int64, error) {
	sigs, err := r.list()
	if err != nil {
		return -1, err
	}
	for _, s := range sigs {
		if s > r.curSig {
			return s, nil
		}
	}
	return -1, nil
}

// openNext opens the file after the current one, checking that its
// PrevVClock chains on (no file is missing in between).
func (r *Reader) openNext(sig int64) error {
	c, err := xlog.Open(r.fs, r.dir, sig, xlog.TypeXlog, "")
	if err != nil {
		return err
	}
	m := c.Meta()
	if m.PrevVClock != nil && m.PrevVClock.Compare(&r.curMeta) != vclock.Equal {
		c.Close()
		return &GapError{From: r.pos, To: *m.VClock}
	}
	r.setCurrent(c, sig, *m.VClock)
	return nil
}

func (r *Reader) setCurrent(c *xlog.Cursor, sig int64, vc vclock.VClock) {
	r.Close()
	r.cur, r.curSig, r.curMeta, r.started = c, sig, vc, true
	// The position follows the file's start even when no row of it is
	// read, so the next file is searched after it (recovery_open_log).
	if ord := r.pos.Compare(&vc); ord == vclock.Less {
		r.pos = vc
	}
	if r.OnOpen != nil {
		r.OnOpen(path.Join(r.dir, xlog.FileName(sig, xlog.TypeXlog)))
	}
}

// Next stores the next row after the position into row. row.Body stays
// valid until the next call. It returns ErrNoData when no durable row is
// left for now, a *GapError when the rows needed are gone, and file
// errors (corruption) as they come.
func (r *Reader) Next(row *xrow.Row) error {
	if r.held != nil {
		if !r.durable(r.held) {
			return ErrNoData
		}
		*row = *r.held
		r.held = nil
		r.follow(row)
		return nil
	}
	for {
		if r.cur == nil {
			var err error
			if !r.started {
				err = r.openFirst()
			} else {
				var sig int64
				if sig, err = r.nextSig(); err == nil {
					if sig < 0 {
						return ErrNoData
					}
					err = r.openNext(sig)
				}
			}
			if err != nil {
				return err
			}
		}
		err := r.cur.Next(row)
		switch {
		case err == nil:
			if done, err := r.take(row); done {
				return err
			}
		case err == io.EOF:
			r.Close()
		case errors.Is(err, xlog.ErrNoEOFMarker) || xlog.IsTornTail(err):
			// The file is still being written - unless a newer file
			// exists: the writer has left this one (a crash, or a
			// failed write that abandoned it). It wrote everything it
			// would before creating the next, so one more read sees
			// it all.
			sig, lerr := r.nextSig()
			if lerr != nil {
				return lerr
			}
			if sig < 0 {
				return ErrNoData
			}
			err = r.cur.Next(row)
			if err == nil {
				if done, err := r.take(row); done {
					return err
				}
				continue
			}
			if err != io.EOF && !errors.Is(err, xlog.ErrNoEOFMarker) && !xlog.IsTornTail(err) {
				return err
			}
			r.Close()
		default:
			return err
		}
	}
}

// take decides on a row read from the file: done is false for a row
// already covered by the position (read on); otherwise Next returns err:
// nil for a row to hand out, ErrNoData for a row held back until the WAL
// reports it durable.
func (r *Reader) take(row *xrow.Row) (done bool, err error) {
	if row.ReplicaID >= vclock.Max {
		return true, &xlog.CorruptionError{File: r.cur.Name(), Offset: r.cur.GoodOffset(),
			Reason: fmt.Sprintf("row of replica id %d", row.ReplicaID)}
	}
	if vclock.LSN(row.LSN) <= r.pos.Get(vclock.ReplicaID(row.ReplicaID)) {
		return false, nil
	}
	if !r.durable(row) {
		held := *row
		held.Body = append([]byte(nil), row.Body...)
		r.held = &held
		return true, ErrNoData
	}
	r.follow(row)
	return true, nil
}

func (r *Reader) durable(row *xrow.Row) bool {
	if r.Durable == nil {
		return true
	}
	d := r.Durable()
	return vclock.LSN(row.LSN) <= d.Get(vclock.ReplicaID(row.ReplicaID))
}

func (r *Reader) follow(row *xrow.Row) {
	r.pos.Follow(vclock.ReplicaID(row.ReplicaID), vclock.LSN(row.LSN))
	r.rows++
}
