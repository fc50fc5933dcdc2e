package fiber

import "time"

// padStatus is where a channel waiter stands (fiber_channel_wait_status).
type padStatus uint8

const (
	padReader padStatus = iota // a reader waits for a writer
	padWriter                  // a writer waits for a reader
	padDone                    // the message was handed over
	padClosed                  // the wait ended because the channel closed
)

// chanPad is the message slot of a fiber waiting on a channel.
type chanPad struct {
	msg    any
	status padStatus
}

// Channel is fiber.channel: a bounded FIFO of messages between fibers,
// with Tarantool 2.6's delivery rules — a waiting reader gets a message
// directly, buffered messages go before waiting writers, a writer parked
// behind a full buffer moves into the buffer when a reader frees a slot,
// and a fiber that waited already and has to wait again goes back to the
// head of the wait list (delivery fairness). All methods are called by
// the fiber that holds the baton.
type Channel struct {
	size    int
	buf     []any
	closed  bool
	waiters WaitQueue
	// Discard, when set, receives each buffered message Close drops (the
	// Lua layer releases what the message holds).
	Discard func(v any)
}

// NewChannel returns a channel buffering up to size messages (0: every
// put waits for a get).
func NewChannel(size int) *Channel { return &Channel{size: size} }

// Drain removes and returns the buffered messages (for a channel nobody
// can reach any more).
func (c *Channel) Drain() []any {
	b := c.buf
	c.buf = nil
	return b
}

// Size is the buffer capacity.
func (c *Channel) Size() int { return c.size }

// Count is the number of buffered messages.
func (c *Channel) Count() int { return len(c.buf) }

// IsFull reports whether a put would wait.
func (c *Channel) IsFull() bool { return len(c.buf) >= c.size }

// IsEmpty reports whether no message is buffered.
func (c *Channel) IsEmpty() bool { return len(c.buf) == 0 }

// IsClosed reports whether Close was called.
func (c *Channel) IsClosed() bool { return c.closed }

// HasReaders reports whether the first waiter is a reader.
func (c *Channel) HasReaders() bool { return c.firstWaiter(padReader) != nil }

// HasWriters reports whether the first waiter is a writer.
func (c *Channel) HasWriters() bool { return c.firstWaiter(padWriter) != nil }

func (c *Channel) firstWaiter(st padStatus) *Fiber {
	q := &c.waiters
	if q.sched == nil {
		return nil
	}
	q.sched.mu.Lock()
	defer q.sched.mu.Unlock()
	if len(q.list) == 0 {
		return nil
	}
	f := q.list[0]
	if f.pad == nil || f.pad.status != st {
		return nil
	}
	return f
}

// handOver ends the wait of w with status st.
func (c *Channel) handOver(w *Fiber, st padStatus) {
	w.pad.status = st
	s := w.sched
	s.mu.Lock()
	s.wakeLocked(w)
	s.mu.Unlock()
}

// checkWait tells whether f may (still) wait.
func (c *Channel) checkWait(f *Fiber, start, timeout time.Duration) error {
	if c.closed {
		return ErrChannelClosed
	}
	if f.IsCancelled() {
		return ErrCancelled
	}
	if timeout == 0 || (timeout != Infinite && f.sched.Clock() > start+timeout) {
		return ErrTimedOut
	}
	return nil
}

// Put sends v, waiting up to timeout (Infinite: no limit) for room. It
// fails with ErrChannelClosed, ErrCancelled or ErrTimedOut.
func (c *Channel) Put(f *Fiber, v any, timeout time.Duration) error {
	first := true
	start := f.sched.Clock()
	for {
		if r := c.firstWaiter(padReader); r != nil {
			r.pad.msg = v
			c.handOver(r, padDone)
			return nil
		}
		if len(c.buf) < c.size {
			if c.closed {
				return ErrChannelClosed
			}
			c.buf = append(c.buf, v)
			return nil
		}
		if err := c.checkWait(f, start, timeout); err != nil {
			return err
		}
		pad := &chanPad{msg: v, status: padWriter}
		f.pad = pad
		f.park(&c.waiters, timeout, !first)
		first = false
		f.pad = nil
		switch pad.status {
		case padClosed:
			return ErrChannelClosed
		case padDone:
			return nil
		}
		if timeout != Infinite {
			timeout -= f.sched.Clock() - start
		}
	}
}

// Get receives a message, waiting up to timeout (Infinite: no limit). It
// fails with ErrChannelClosed, ErrCancelled or ErrTimedOut.
func (c *Channel) Get(f *Fiber, timeout time.Duration) (any, error) {
	first := true
	start := f.sched.Clock()
	for {
		if len(c.buf) > 0 {
			v := c.buf[0]
			c.buf[0] = nil
			c.buf = c.buf[1:]
			if w := c.firstWaiter(padWriter); w != nil {
				c.buf = append(c.buf, w.pad.msg)
				c.handOver(w, padDone)
			}
			return v, nil
		}
		if w := c.firstWaiter(padWriter); w != nil {
			v := w.pad.msg
			c.handOver(w, padDone)
			return v, nil
		}
		if err := c.checkWait(f, start, timeout); err != nil {
			return nil, err
		}
		pad := &chanPad{status: padReader}
		f.pad = pad
		f.park(&c.waiters, timeout, !first)
		first = false
		f.pad = nil
		switch pad.status {
		case padClosed:
			return nil, ErrChannelClosed
		case padDone:
			return pad.msg, nil
		}
		if timeout != Infinite {
			timeout -= f.sched.Clock() - start
		}
	}
}

// Close drops the buffered messages, ends every wait with
// ErrChannelClosed and refuses further puts. Closing twice is a no-op.
func (c *Channel) Close() {
	if c.closed {
		return
	}
	for i := range c.buf {
		if c.Discard != nil {
			c.Discard(c.buf[i])
		}
		c.buf[i] = nil
	}
	c.buf = nil
	for {
		q := &c.waiters
		if q.sched == nil {
			break
		}
		q.sched.mu.Lock()
		var w *Fiber
		if len(q.list) > 0 {
			w = q.list[0]
		}
		q.sched.mu.Unlock()
		if w == nil {
			break
		}
		c.handOver(w, padClosed)
	}
	c.closed = true
}
