package client

import (
	"context"
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
)

// System views net.box reads to learn the schema.
const (
	vspaceID = 281 // _vspace
	vindexID = 289 // _vindex
)

// Schema is the spaces and indexes visible to the connection's user, as
// net.box loads them from _vspace and _vindex.
type Schema struct {
	Version    uint32 // SCHEMA_VERSION of the replies it was loaded from
	Spaces     map[string]*Space
	SpacesByID map[uint32]*Space
}

// Space is one row of _vspace with its indexes.
type Space struct {
	ID          uint32
	Name        string
	Engine      string
	FieldCount  uint32
	Format      []Field
	Indexes     map[string]*Index
	IndexesByID map[uint32]*Index
}

// Field is one entry of a space format.
type Field struct {
	Name       string
	Type       string
	IsNullable bool
}

// Index is one row of _vindex.
type Index struct {
	SpaceID uint32
	ID      uint32
	Name    string
	Type    string // "tree", "hash", ...
	Unique  bool
	Parts   []IndexPart
}

// IndexPart is a key part; Field counts from 0 as _vindex stores it.
type IndexPart struct {
	Field uint32
	Type  string
}

// Schema returns the schema, loading it when none is cached or a reply
// has shown a newer schema version since it was loaded.
func (c *Conn) Schema(ctx context.Context) (*Schema, error) {
	if s := c.schema.Load(); s != nil && s.Version == c.schemaVersion.Load() {
		return s, nil
	}
	c.schemaMu.Lock()
	defer c.schemaMu.Unlock()
	if s := c.schema.Load(); s != nil && s.Version == c.schemaVersion.Load() {
		return s, nil
	}
	s, err := c.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	c.schema.Store(s)
	return s, nil
}

// loadSchema fetches _vspace and _vindex; like net.box it retries when
// the two replies carry different schema versions (DDL in between).
func (c *Conn) loadSchema(ctx context.Context) (*Schema, error) {
	for attempt := 0; ; attempt++ {
		spaces, sv, err := c.selectAll(ctx, vspaceID)
		if err != nil {
			return nil, err
		}
		indexes, iv, err := c.selectAll(ctx, vindexID)
		if err != nil {
			return nil, err
		}
		if sv != iv && attempt < 10 {
			continue
		}
		return buildSchema(iv, spaces, indexes)
	}
}

func (c *Conn) selectAll(ctx context.Context, space uint32) ([]any, uint32, error) {
	bb := newBody(6).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexID, 0).
		uint(proto.KeyIterator, uint64(IterAll)).
		uint(proto.KeyOffset, 0).
		uint(proto.KeyLimit, 0xFFFFFFFF).
		array(proto.KeyKey, nil)
	resp, err := c.Do(ctx, proto.Select, bb.b)
	if err != nil {
		return nil, 0, err
	}
	rows, err := resp.Data()
	return rows, resp.SchemaVersion, err
}

func buildSchema(version uint32, spaces, indexes []any) (*Schema, error) {
	s := &Schema{Version: version, Spaces: map[string]*Space{}, SpacesByID: map[uint32]*Space{}}
	for _, row := range spaces {
		t, ok := row.([]any)
		if !ok || len(t) < 3 {
			return nil, fmt.Errorf("client: malformed _vspace tuple %v", row)
		}
		sp := &Space{
			ID:          toU32(t[0]),
			Name:        toString(t[2]),
			Indexes:     map[string]*Index{},
			IndexesByID: map[uint32]*Index{},
		}
		if len(t) > 3 {
			sp.Engine = toString(t[3])
		}
		if len(t) > 4 {
			sp.FieldCount = toU32(t[4])
		}
		if len(t) > 6 {
			if format, ok := t[6].([]any); ok {
				for _, f := range format {
					m, _ := f.(map[any]any)
					nullable, _ := m["is_nullable"].(bool)
					sp.Format = append(sp.Format, Field{Name: toString(m["name"]), Type: toString(m["type"]), IsNullable: nullable})
				}
			}
		}
		s.Spaces[sp.Name] = sp
		s.SpacesByID[sp.ID] = sp
	}
	for _, row := range indexes {
		t, ok := row.([]any)
		if !ok || len(t) < 6 {
			return nil, fmt.Errorf("client: malformed _vindex tuple %v", row)
		}
		ix := &Index{SpaceID: toU32(t[0]), ID: toU32(t[1]), Name: toString(t[2]), Type: toString(t[3])}
		switch opts := t[4].(type) {
		case map[any]any:
			ix.Unique, _ = opts["unique"].(bool)
		default: // legacy form: opts is the unique flag as a number
			ix.Unique = toU32(opts) != 0
		}
		ix.Parts = parseParts(t[4], t[5:])
		sp := s.SpacesByID[ix.SpaceID]
		if sp == nil {
			continue // a view may show an index of a space it hides
		}
		sp.Indexes[ix.Name] = ix
		sp.IndexesByID[ix.ID] = ix
	}
	return s, nil
}

// parseParts reads the parts of a _vindex row: [[fieldno, type], ...] or
// [{field=, type=}, ...] in the new form, or a count followed by flat
// fieldno, type pairs in the legacy form (numeric opts).
func parseParts(opts any, rest []any) []IndexPart {
	var parts []IndexPart
	if _, isMap := opts.(map[any]any); !isMap {
		if n := int(toU32(rest[0])); n > 0 && len(rest) >= 1+2*n {
			for i := 0; i < n; i++ {
				parts = append(parts, IndexPart{Field: toU32(rest[1+2*i]), Type: toString(rest[2+2*i])})
			}
		}
		return parts
	}
	list, _ := rest[0].([]any)
	for _, p := range list {
		switch p := p.(type) {
		case []any:
			if len(p) >= 2 {
				parts = append(parts, IndexPart{Field: toU32(p[0]), Type: toString(p[1])})
			}
		case map[any]any:
			parts = append(parts, IndexPart{Field: toU32(p["field"]), Type: toString(p["type"])})
		}
	}
	return parts
}

func toU32(v any) uint32 {
	switch x := v.(type) {
	case uint64:
		return uint32(x)
	case int64:
		return uint32(x)
	case float64:
		return uint32(x)
	}
	return 0
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// SpaceID resolves a space name. An unknown name is ER_NO_SUCH_SPACE,
// as the server reports it.
func (c *Conn) SpaceID(ctx context.Context, name string) (uint32, error) {
	sp, err := c.space(ctx, name)
	if err != nil {
		return 0, err
	}
	return sp.ID, nil
}

// IndexID resolves a space and index name pair.
func (c *Conn) IndexID(ctx context.Context, space, index string) (spaceID, indexID uint32, err error) {
	sp, err := c.space(ctx, space)
	if err != nil {
		return 0, 0, err
	}
	ix := sp.Indexes[index]
	if ix == nil {
		e := boxerr.New(boxerr.ER_NO_SUCH_INDEX_NAME, index, space)
		return 0, 0, &Error{Code: uint32(e.Code), Message: e.Message, Type: e.Type}
	}
	return sp.ID, ix.ID, nil
}

func (c *Conn) space(ctx context.Context, name string) (*Space, error) {
	s, err := c.Schema(ctx)
	if err != nil {
		return nil, err
	}
	sp := s.Spaces[name]
	if sp == nil {
		e := boxerr.New(boxerr.ER_NO_SUCH_SPACE, name)
		return nil, &Error{Code: uint32(e.Code), Message: e.Message, Type: e.Type}
	}
	return sp, nil
}

// SpaceRef is a space addressed by name with the requests of Conn,
// resolved through the cached schema on every call.
type SpaceRef struct {
	c    *Conn
	name string
}

// Space returns a name-based handle: conn.Space("test").Insert(ctx, t).
func (c *Conn) Space(name string) SpaceRef { return SpaceRef{c, name} }

// Select on the named index ("" is the primary key).
func (s SpaceRef) Select(ctx context.Context, index string, offset, limit uint32, iter Iterator, key []any) ([]any, error) {
	sid, iid, err := s.ids(ctx, index)
	if err != nil {
		return nil, err
	}
	return s.c.Select(ctx, sid, iid, offset, limit, iter, key)
}

// Insert a tuple.
func (s SpaceRef) Insert(ctx context.Context, tuple []any) ([]any, error) {
	sid, _, err := s.ids(ctx, "")
	if err != nil {
		return nil, err
	}
	return s.c.Insert(ctx, sid, tuple)
}

// Replace a tuple.
func (s SpaceRef) Replace(ctx context.Context, tuple []any) ([]any, error) {
	sid, _, err := s.ids(ctx, "")
	if err != nil {
		return nil, err
	}
	return s.c.Replace(ctx, sid, tuple)
}

// Update by key in the named index ("" is the primary key).
func (s SpaceRef) Update(ctx context.Context, index string, key, ops []any) ([]any, error) {
	sid, iid, err := s.ids(ctx, index)
	if err != nil {
		return nil, err
	}
	return s.c.Update(ctx, sid, iid, key, ops)
}

// Upsert a tuple.
func (s SpaceRef) Upsert(ctx context.Context, tuple, ops []any) ([]any, error) {
	sid, _, err := s.ids(ctx, "")
	if err != nil {
		return nil, err
	}
	return s.c.Upsert(ctx, sid, tuple, ops)
}

// Delete by key in the named index ("" is the primary key).
func (s SpaceRef) Delete(ctx context.Context, index string, key []any) ([]any, error) {
	sid, iid, err := s.ids(ctx, index)
	if err != nil {
		return nil, err
	}
	return s.c.Delete(ctx, sid, iid, key)
}

func (s SpaceRef) ids(ctx context.Context, index string) (uint32, uint32, error) {
	if index == "" {
		sid, err := s.c.SpaceID(ctx, s.name)
		return sid, 0, err
	}
	return s.c.IndexID(ctx, s.name, index)
}
