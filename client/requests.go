package client

import (
	"context"
	"fmt"

	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// Iterator selects how Select walks an index (box.index.EQ, GE, ...).
type Iterator uint32

// Iterator types, with Tarantool's codes.
const (
	IterEq            Iterator = Iterator(proto.IterEQ)
	IterReq           Iterator = Iterator(proto.IterREQ)
	IterAll           Iterator = Iterator(proto.IterAll)
	IterLt            Iterator = Iterator(proto.IterLT)
	IterLe            Iterator = Iterator(proto.IterLE)
	IterGe            Iterator = Iterator(proto.IterGE)
	IterGt            Iterator = Iterator(proto.IterGT)
	IterBitsAllSet    Iterator = Iterator(proto.IterBitsAllSet)
	IterBitsAnySet    Iterator = Iterator(proto.IterBitsAnySet)
	IterBitsAllNotSet Iterator = Iterator(proto.IterBitsAllNotSet)
	IterOverlaps      Iterator = Iterator(proto.IterOverlaps)
	IterNeighbor      Iterator = Iterator(proto.IterNeighbor)
)

// String returns Tarantool's name of the iterator ("EQ", "GE", ...).
func (it Iterator) String() string { return proto.Iterator(it).String() }

// Request types for Do.
const (
	TypeSelect  = proto.Select
	TypeInsert  = proto.Insert
	TypeReplace = proto.Replace
	TypeUpdate  = proto.Update
	TypeDelete  = proto.Delete
	TypeCall16  = proto.Call16
	TypeEval    = proto.Eval
	TypeUpsert  = proto.Upsert
	TypeCall    = proto.Call
	TypeExecute = proto.Execute
	TypePing    = proto.Ping
)

// bodyBuilder encodes request bodies: a map header for a known number of
// entries, then integer keys and values in the order they are added.
type bodyBuilder struct {
	b   []byte
	err error
}

func newBody(n uint32) *bodyBuilder {
	bb := &bodyBuilder{}
	bb.b = msgpack.AppendMapHeader(make([]byte, 0, 64), n)
	return bb
}

func (bb *bodyBuilder) uint(key uint8, v uint64) *bodyBuilder {
	bb.b = msgpack.AppendUint(msgpack.AppendUint(bb.b, uint64(key)), v)
	return bb
}

func (bb *bodyBuilder) str(key uint8, s string) *bodyBuilder {
	bb.b = msgpack.AppendString(msgpack.AppendUint(bb.b, uint64(key)), s)
	return bb
}

// array encodes a Go slice as a msgpack array; nil becomes [].
func (bb *bodyBuilder) array(key uint8, v []any) *bodyBuilder {
	bb.b = msgpack.AppendUint(bb.b, uint64(key))
	if v == nil {
		bb.b = msgpack.AppendArrayHeader(bb.b, 0)
		return bb
	}
	b, err := msgpack.Append(bb.b, v)
	if err != nil {
		if bb.err == nil {
			bb.err = fmt.Errorf("client: encoding request: %w", err)
		}
		return bb
	}
	bb.b = b
	return bb
}

// data performs a request whose reply carries DATA and decodes it.
func (c *Conn) data(ctx context.Context, typ uint32, bb *bodyBuilder) ([]any, error) {
	if bb.err != nil {
		return nil, bb.err
	}
	resp, err := c.Do(ctx, typ, bb.b)
	if err != nil {
		return nil, err
	}
	return resp.Data()
}

// Data decodes the DATA array of a reply; a reply without DATA yields
// nil.
func (r Response) Data() ([]any, error) {
	raw, err := proto.DataOf(r.Body)
	if err != nil || raw == nil {
		return nil, err
	}
	v, _, err := msgpack.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("client: decoding reply data: %w", err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("client: reply data is %T, not an array", v)
	}
	return arr, nil
}

// Ping checks that the server answers.
func (c *Conn) Ping(ctx context.Context) error {
	_, err := c.Do(ctx, proto.Ping, nil)
	return err
}

// Select returns up to limit tuples of index index of space space that
// match key under iterator iter, skipping offset first.
func (c *Conn) Select(ctx context.Context, space, index, offset, limit uint32, iter Iterator, key []any) ([]any, error) {
	bb := newBody(6).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexID, uint64(index)).
		uint(proto.KeyLimit, uint64(limit)).
		uint(proto.KeyOffset, uint64(offset)).
		uint(proto.KeyIterator, uint64(iter)).
		array(proto.KeyKey, key)
	return c.data(ctx, proto.Select, bb)
}

// Insert inserts tuple and returns [tuple] as stored.
func (c *Conn) Insert(ctx context.Context, space uint32, tuple []any) ([]any, error) {
	return c.data(ctx, proto.Insert, newBody(2).uint(proto.KeySpaceID, uint64(space)).array(proto.KeyTuple, tuple))
}

// Replace inserts or replaces tuple and returns [tuple].
func (c *Conn) Replace(ctx context.Context, space uint32, tuple []any) ([]any, error) {
	return c.data(ctx, proto.Replace, newBody(2).uint(proto.KeySpaceID, uint64(space)).array(proto.KeyTuple, tuple))
}

// Update applies ops ([]any{"=", 2, "x"}, fields counted from 1) to the
// tuple with key in index and returns [new tuple], or [] if none.
func (c *Conn) Update(ctx context.Context, space, index uint32, key, ops []any) ([]any, error) {
	bb := newBody(5).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexID, uint64(index)).
		uint(proto.KeyIndexBase, 1).
		array(proto.KeyKey, key).
		array(proto.KeyTuple, ops) // UPDATE carries its ops under TUPLE
	return c.data(ctx, proto.Update, bb)
}

// Upsert inserts tuple, or applies ops to the existing tuple with the
// same primary key. It returns [].
func (c *Conn) Upsert(ctx context.Context, space uint32, tuple, ops []any) ([]any, error) {
	bb := newBody(4).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexBase, 1).
		array(proto.KeyTuple, tuple).
		array(proto.KeyOps, ops)
	return c.data(ctx, proto.Upsert, bb)
}

// Delete deletes the tuple with key in index and returns [old tuple], or
// [] if there was none.
func (c *Conn) Delete(ctx context.Context, space, index uint32, key []any) ([]any, error) {
	bb := newBody(3).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexID, uint64(index)).
		array(proto.KeyKey, key)
	return c.data(ctx, proto.Delete, bb)
}

// Call calls the stored or global Lua function fn with args and returns
// all its results (IPROTO_CALL, as net.box's conn:call).
func (c *Conn) Call(ctx context.Context, fn string, args []any) ([]any, error) {
	return c.data(ctx, proto.Call, newBody(2).str(proto.KeyFunctionName, fn).array(proto.KeyTuple, args))
}

// Eval evaluates a Lua chunk with args (available as ...) and returns its
// results.
func (c *Conn) Eval(ctx context.Context, expr string, args []any) ([]any, error) {
	return c.data(ctx, proto.Eval, newBody(2).str(proto.KeyExpr, expr).array(proto.KeyTuple, args))
}
