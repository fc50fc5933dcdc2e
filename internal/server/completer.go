package server

import (
	"sync"

	"github.com/spindledb/spindle/internal/box"
)

// pendingTx is a transaction an applier committed without waiting for the
// WAL.
type pendingTx struct {
	u       *upstream
	p       *box.PendingCommit
	written func() // tells the applier to send an ACK
}

// completer finishes the appliers' pending transactions on one goroutine,
// in the order they were submitted to the WAL (the order it writes them),
// and tells their appliers to acknowledge once it has caught up with the
// WAL. Under a steady stream this costs one wake-up per WAL batch, where
// a goroutine per transaction and an ACK signal per transaction cost
// three: enough, on a loaded machine, to keep the reading of the
// replication stream off the CPU until rows piled up in the socket.
type completer struct {
	mu      sync.Mutex
	queue   []pendingTx
	running bool          // the goroutine exists
	idle    bool          // it waits for kick
	kick    chan struct{} // capacity 1
}

// push queues t; the goroutine is started on first use and ends with the
// server.
func (c *completer) push(s *Server, t pendingTx) {
	c.mu.Lock()
	c.queue = append(c.queue, t)
	start := !c.running
	wake := c.idle
	c.running = true
	c.idle = false
	if start {
		c.kick = make(chan struct{}, 1)
	}
	c.mu.Unlock()
	switch {
	case start:
		go c.run(s)
	case wake:
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *completer) run(s *Server) {
	var batch []pendingTx
	for {
		c.mu.Lock()
		batch, c.queue = c.queue, batch[:0]
		if len(batch) == 0 {
			c.idle = true
			c.mu.Unlock()
			select {
			case <-c.kick:
			case <-s.stopped:
				// Transactions queued after the stop get a goroutine
				// of their own.
				c.mu.Lock()
				c.running = len(c.queue) > 0
				if c.running {
					go c.run(s)
				}
				c.mu.Unlock()
				return
			}
			continue
		}
		c.mu.Unlock()
		c.finish(s, batch)
		clear(batch)
	}
}

// finish completes batch in order, acknowledging whenever it has to wait
// for the WAL and at the end.
func (c *completer) finish(s *Server, batch []pendingTx) {
	type ack struct {
		u       *upstream
		written func()
	}
	var acks [4]ack
	n := 0
	flush := func() {
		for _, a := range acks[:n] {
			a.written()
		}
		n = 0
	}
	cascade := s.st.wal.Cascade()
	for i, t := range batch {
		select {
		case <-t.p.Done():
		default:
			flush() // caught up with the WAL
			select {
			case <-t.p.Done():
			case <-cascade:
				// A failed write: the failed entries complete newest
				// first, each after the newer ones are rolled back, so
				// each must wait on its own.
				c.scatter(batch[i:])
				c.mu.Lock()
				rest := c.queue
				c.queue = nil
				c.mu.Unlock()
				c.scatter(rest)
				return
			}
		}
		t.u.complete(t.p)
		switch {
		case n > 0 && acks[n-1].u == t.u:
			acks[n-1].written = t.written // the newest subscription's
		case n == len(acks):
			flush()
			fallthrough
		default:
			acks[n] = ack{t.u, t.written}
			n++
		}
	}
	flush()
}

// scatter finishes each of ts on a goroutine of its own.
func (c *completer) scatter(ts []pendingTx) {
	for _, t := range ts {
		go func() {
			t.u.complete(t.p)
			t.written()
		}()
	}
}
