// Package iproto is the IPROTO network edge: it accepts TCP connections,
// sends Tarantool's 128-byte greeting, reads length-prefixed packets and
// hands them in batches to a Session, writing back the replies the
// session produces.
//
// One goroutine serves each connection. It reads every packet already
// buffered (a pipelined batch), lets the session execute the batch (the
// session takes the tx baton once for all of it) and writes all replies
// with one write call, so pipelined clients pay one baton hand-off and one
// syscall per batch instead of per request. Replies of requests that do
// not yield go out in request order; each carries its request's sync, so
// clients match replies by sync, never by order.
//
// A request that yields (a CALL that sleeps or waits for the WAL) must not
// hold up the requests behind it: the session hands the rest of the batch
// and the reading of the connection to a new goroutine (Conn.Handover)
// and the yielding request sends its reply alone when it ends. Exactly
// one goroutine reads a connection at any time; writes from several are
// combined and never interleave (Conn.Send).
//
// On Linux the socket is read and written with raw system calls
// (sock_linux.go): the socket is non-blocking, so a call never blocks, and
// keeping it out of the runtime's syscall state spares the thread
// hand-offs and the 20 µs wake-ups of the runtime's monitor that socket
// calls under load otherwise cause. Waiting for readiness, deadlines and
// Close stay with the runtime's poller.
//
// Framing errors (a length that is not a msgpack uint, or larger than the
// limit) close the connection after an error reply, as Tarantool does:
// the stream cannot be resynchronized. Everything inside a well-framed
// packet is the session's business and never closes the connection.
//
// The package knows nothing of box or Lua: the server implements Handler.
package iproto
