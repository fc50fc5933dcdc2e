// Package client is Spindle's public Go client for the IPROTO protocol of
// Tarantool 2.6. It talks to Spindle and to Tarantool alike.
//
// A Conn is one TCP (or unix socket) connection shared by any number of
// goroutines. Requests are pipelined: each gets a fresh sync, is appended
// to a write buffer that a writer goroutine flushes in batches, and its
// caller waits for the reply with that sync, which a single reader
// goroutine hands over. Replies may arrive in any order.
//
//	conn, err := client.Dial(ctx, "127.0.0.1:3301", client.Options{User: "admin", Password: "pw"})
//	tuples, err := conn.Select(ctx, 512, 0, 0, 100, client.IterEq, []any{1})
//
// Server errors come back as *Error with Tarantool's numeric code and
// message (use errors.As); transport failures close the connection and
// fail every pending and later request with an error wrapping ErrClosed.
// Results are decoded with Spindle's msgpack.Decode: tuples are []any,
// non-negative integers uint64, negative ones int64, strings string.
//
// Invariants: every pending request is completed exactly once (by its
// reply, by its context, or by the connection closing); a reply whose
// request has been abandoned is dropped; the package never retries a
// request on its own, because DML is not idempotent.
//
// box.session.push messages (IPROTO_CHUNK) carry the sync of the request
// that pushed them and arrive before its final reply. They never complete
// a request: Do drops them, DoWith and Start hand each to the request's
// RequestOptions.OnPush and keep waiting for the final reply. Start sends
// a request without waiting and delivers the reply to a callback, for
// callers (net.box futures) that wait in their own way.
//
// UPDATE and UPSERT operations count fields from 1, as in Lua and
// net.box (the requests carry INDEX_BASE = 1).
package client
