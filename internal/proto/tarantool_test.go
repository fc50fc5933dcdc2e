package proto

import (
	"bufio"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto/tarantooltest"
)

// rawConn is a raw IPROTO connection to a real Tarantool.
type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	g := make([]byte, GreetingSize)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := ioReadFull(r, g); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeGreeting(g); err != nil {
		t.Fatalf("real greeting rejected: %v", err)
	}
	return &rawConn{c, r}
}

// roundTrip sends one framed packet and returns the decoded reply.
func (rc *rawConn) roundTrip(t *testing.T, packet []byte) (uint32, []byte) {
	t.Helper()
	framed := append([]byte{0xce, 0, 0, 0, 0}, packet...)
	putU32(framed[1:], uint32(len(packet)))
	rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := rc.c.Write(framed); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPacket(rc.r, BodyLenMax, nil)
	if err != nil {
		t.Fatalf("reading reply to %x: %v", packet, err)
	}
	row, err := DecodeHeader(p)
	if err != nil {
		t.Fatalf("real reply rejected: %v (%x)", err, p)
	}
	return uint32(row.Type), row.Body
}

// decodeStage reports whether a Tarantool error comes from request
// decoding (iproto_msg_decode) rather than execution.
func decodeStage(code boxerr.Code, msg string) bool {
	switch code {
	case boxerr.ER_UNKNOWN_REQUEST_TYPE, boxerr.ER_MISSING_REQUEST_FIELD:
		return true
	case boxerr.ER_INVALID_MSGPACK:
		return strings.HasPrefix(msg, "Invalid MsgPack - packet") || msg == "Invalid MsgPack - missing request body"
	}
	return false
}

// TestDecodeMatchesTarantool sends random well-framed packets to a real
// 2.6.0 and checks that our header and body decoders accept exactly what
// it accepts and reject the rest with its code and message.
func TestDecodeMatchesTarantool(t *testing.T) {
	if !tarantooltest.Available() {
		t.Skip(tarantooltest.SkipMessage)
	}
	in, err := tarantooltest.Start(t.TempDir(), `
box.schema.user.grant('guest', 'read,write,execute', 'universe')
local s = box.schema.space.create('test', {id = 512})
s:create_index('pk')
function f() return 1 end`)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	rc := dialRaw(t, in.Addr)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 600
	if testing.Short() {
		n = 100
	}
	for i := 0; i < n; i++ {
		pkt := randomPacket(rng, uint64(i))
		typ, body := rc.roundTrip(t, pkt)
		var oursErr error
		row, err := DecodeHeader(pkt)
		if err == nil {
			_, err = DecodeRequest(row.Type, row.Body)
		}
		oursErr = err
		if IsError(typ) {
			e, _ := DecodeError(typ, body)
			if decodeStage(e.Code, e.Message) {
				if oursErr == nil || boxerr.CodeOf(oursErr) != e.Code || oursErr.Error() != e.Message {
					t.Errorf("packet %x: tarantool says %d %q, we say %v", pkt, e.Code, e.Message, oursErr)
				}
				continue
			}
		}
		if oursErr != nil {
			t.Errorf("packet %x: tarantool accepted it (reply type %#x), we say %v", pkt, typ, oursErr)
		}
	}
}

// randomPacket builds a header and body from the pieces decoders care
// about: key sets, key encodings, value types. Requests only touch space
// 512, function f and nonexistent objects.
func randomPacket(rng *rand.Rand, sync uint64) []byte {
	types := []uint64{Select, Insert, Replace, Update, Delete, Upsert, Call, Call16, Eval, Ping, Nop,
		0x8030, 100, 0x101, 0x1005}
	var hdr []any // flat key, value list
	hdr = append(hdr, uint64(KeyRequestType), types[rng.IntN(len(types))], uint64(KeySync), sync)
	for j := rng.IntN(3); j > 0 && rng.IntN(4) == 0; j-- {
		hdrKeys := []uint64{KeySchemaVersion, KeyTimestamp, KeyLSN, 0x0a, 0x20, 0x2c, 0x52, 0x53, 0x60}
		hdr = append(hdr, hdrKeys[rng.IntN(len(hdrKeys))], randomValue(rng))
	}
	if hdr[1] == uint64(Eval) {
		hdr[1] = uint64(Call) // random EVAL expressions could run anything
	}
	b := msgpack.AppendMapHeader(nil, uint32(len(hdr)/2))
	for j := 0; j < len(hdr); j += 2 {
		b = msgpack.AppendUint(b, hdr[j].(uint64))
		b = msgpack.MustAppend(b, hdr[j+1])
	}
	if rng.IntN(20) == 0 {
		return b // no body
	}
	// Start from a well-formed body for the type, then mutate it.
	type entry struct {
		key  uint64
		val  any
		wide bool // key written as 0xcc NN
		str  bool // key written as a string
	}
	var es []entry
	add := func(k uint64, v any) { es = append(es, entry{key: k, val: v}) }
	key := []any{uint64(rng.IntN(3))}
	switch hdr[1].(uint64) & 0xff {
	case Select:
		add(KeySpaceID, uint64(512))
		add(KeyIndexID, uint64(0))
		add(KeyLimit, uint64(10))
		add(KeyIterator, uint64(rng.IntN(7)))
		add(KeyKey, key)
	case Insert, Replace:
		add(KeySpaceID, uint64(512))
		add(KeyTuple, key)
	case Update:
		add(KeySpaceID, uint64(512))
		add(KeyKey, key)
		add(KeyTuple, []any{[]any{"=", uint64(2), "x"}})
		add(KeyIndexBase, uint64(1))
	case Delete:
		add(KeySpaceID, uint64(512))
		add(KeyKey, key)
	case Upsert:
		add(KeySpaceID, uint64(512))
		add(KeyTuple, key)
		add(KeyOps, []any{})
	case Call, Call16:
		add(KeyFunctionName, []string{"f", "nosuch"}[rng.IntN(2)])
		add(KeyTuple, []any{})
	}
	rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	keys := []uint64{KeySpaceID, KeyIndexID, KeyLimit, KeyOffset, KeyIterator, KeyIndexBase,
		KeyKey, KeyTuple, KeyFunctionName, KeyExpr, KeyOps, KeyTupleMeta, 0x99}
	for m := rng.IntN(3); m > 0; m-- {
		switch rng.IntN(6) {
		case 0:
			if len(es) > 0 {
				i := rng.IntN(len(es))
				es = append(es[:i], es[i+1:]...)
			}
		case 1:
			add(keys[rng.IntN(len(keys))], randomValue(rng))
		case 2:
			if len(es) > 0 {
				es[rng.IntN(len(es))].val = randomValue(rng)
			}
		case 3:
			if len(es) > 0 {
				es[rng.IntN(len(es))].wide = true
			}
		case 4:
			if len(es) > 0 {
				es[rng.IntN(len(es))].str = true
			}
		case 5:
			add(KeyTupleMeta, map[uint64]any{})
		}
	}
	body := msgpack.AppendMapHeader(nil, uint32(len(es)))
	for _, e := range es {
		switch {
		case e.wide:
			body = append(body, 0xcc, byte(e.key))
		case e.str:
			body = msgpack.AppendString(body, "k")
		default:
			body = msgpack.AppendUint(body, e.key)
		}
		body = msgpack.MustAppend(body, e.val)
	}
	switch rng.IntN(30) {
	case 0:
		body = append(body, 0x80) // trailing value
	case 1:
		body = body[:len(body)-1] // truncated
	}
	return append(b, body...)
}

func randomValue(rng *rand.Rand) any {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return int64(-1)
	case 2:
		return "s"
	case 3:
		return []any{uint64(1)}
	case 4:
		return map[uint64]any{1: uint64(1)}
	case 5:
		return 1.5
	case 6:
		return true
	}
	return uint64(rng.IntN(3))
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
