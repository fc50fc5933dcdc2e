package iproto

import (
	"io"
	"sync/atomic"

	"github.com/spindledb/spindle/internal/rmean"
)

// NetStat is the network statistics of box.stat.net(): 2.6's rmean_net
// counters and the two gauges shown beside them.
type NetStat struct {
	// Rmean counts bytes sent and received, connections accepted and
	// requests read, indexed by StatSent and the like.
	Rmean       *rmean.Rmean
	connections atomic.Int64
	requests    atomic.Int64
}

// Indexes of NetStat.Rmean's counters (2.6's rmean_net_name).
const (
	StatSent = iota
	StatReceived
	StatConnections
	StatRequests
)

// NewNetStat returns zeroed statistics.
func NewNetStat() *NetStat {
	return &NetStat{Rmean: rmean.New("SENT", "RECEIVED", "CONNECTIONS", "REQUESTS")}
}

// Connections is the number of open connections.
func (n *NetStat) Connections() int64 { return n.connections.Load() }

// Requests is the number of requests being processed: read and handed to
// their session, whose batch has not returned yet.
func (n *NetStat) Requests() int64 { return n.requests.Load() }

// NetStatter is a Handler that keeps the statistics of its listeners, so
// that they outlive a listener replaced by another (box.cfg{listen}).
type NetStatter interface {
	NetStat() *NetStat
}

type countingReader struct {
	r    io.Reader
	stat *NetStat
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.stat.Rmean.Collect(StatReceived, int64(n))
	}
	return n, err
}

type countingWriter struct {
	w    io.Writer
	stat *NetStat
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if n > 0 {
		c.stat.Rmean.Collect(StatSent, int64(n))
	}
	return n, err
}
