package box

import (
	"encoding/base64"
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// User is a user or a role, as its _user tuple defines it.
type User struct {
	ID      uint32
	OwnerID uint32
	Name    string
	IsRole  bool
	// hash2 is SHA1(SHA1(password)) from the 'chap-sha1' auth entry; nil
	// when the user has no password.
	hash2 []byte
}

// HasPassword reports whether a chap-sha1 password is set.
func (u *User) HasPassword() bool { return u.hash2 != nil }

// User returns the user or role with the given id, nil if none.
func (b *Box) User(uid uint32) *User { return b.users[uid] }

// UserByName returns the user or role with the given name, nil if none.
func (b *Box) UserByName(name string) *User { return b.userByName[name] }

// grant is one parsed _priv tuple.
type grant struct {
	grantor uint32
	objType string
	// objID is the object id; entity grants ("all spaces") have isEntity.
	objID    uint32
	isEntity bool
	access   Access
}

type effKey struct {
	uid      uint32
	objType  string
	objID    uint32
	isEntity bool
}

// parseUser is user_def_new_from_tuple.
func parseUser(t *memtx.Tuple) (*User, error) {
	name, err := fieldStr(t, 2, "name")
	if err != nil {
		return nil, err
	}
	if len(name) > nameMax {
		return nil, boxerr.New(boxerr.ER_CREATE_USER, name[:nameMax], "user name is too long")
	}
	uid, err := fieldU32(t, 0, "id")
	if err != nil {
		return nil, err
	}
	owner, err := fieldU32(t, 1, "owner")
	if err != nil {
		return nil, err
	}
	typ, err := fieldStr(t, 3, "type")
	if err != nil {
		return nil, err
	}
	u := &User{ID: uid, OwnerID: owner, Name: name}
	switch typ {
	case "user":
	case "role":
		u.IsRole = true
	default:
		return nil, boxerr.New(boxerr.ER_CREATE_USER, name, "unknown user type")
	}
	if err := checkIdentifier(name); err != nil {
		return nil, err
	}
	if t.Len() > 4 {
		auth := t.Field(4)
		empty := false
		switch msgpack.TypeOf(auth) {
		case msgpack.Array:
			n, _, _ := msgpack.ReadArrayHeader(auth)
			empty = n == 0
		case msgpack.Map:
			n, _, _ := msgpack.ReadMapHeader(auth)
			empty = n == 0
		}
		if !empty && u.IsRole {
			return nil, boxerr.New(boxerr.ER_CREATE_ROLE, name,
				"authentication data can not be set for a role")
		}
		if !empty {
			h, err := decodeAuth(auth)
			if err != nil {
				return nil, err
			}
			u.hash2 = h
		}
	}
	return u, nil
}

// decodeAuth reads {"chap-sha1": base64(hash2)} (user_def_fill_auth_data).
func decodeAuth(auth []byte) ([]byte, error) {
	if msgpack.TypeOf(auth) != msgpack.Map {
		return nil, nil // 2.6 ignores non-map auth data
	}
	n, pos, err := msgpack.ReadMapHeader(auth)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "auth data")
	}
	var hash2 []byte
	for i := uint32(0); i < n; i++ {
		if msgpack.TypeOf(auth[pos:]) != msgpack.Str {
			sz, err := msgpack.Skip(auth[pos:])
			if err != nil {
				return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "auth data")
			}
			pos += sz
			sz, err = msgpack.Skip(auth[pos:])
			if err != nil {
				return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "auth data")
			}
			pos += sz
			continue
		}
		k, sz, _ := msgpack.ReadString(auth[pos:])
		pos += sz
		if k == "chap-sha1" && msgpack.TypeOf(auth[pos:]) == msgpack.Str {
			v, sz, _ := msgpack.ReadString(auth[pos:])
			pos += sz
			h, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(h) != 20 {
				return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "authentication scramble")
			}
			hash2 = h
			continue
		}
		sz, err := msgpack.Skip(auth[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "auth data")
		}
		pos += sz
	}
	return hash2, nil
}

// reloadUsers rebuilds the user cache from _user. It is the single way the
// cache changes, so a rollback only has to call it again.
func (b *Box) reloadUsers() {
	b.users = make(map[uint32]*User)
	b.userByName = make(map[string]*User)
	sp := b.spaces[userSpaceID]
	if sp != nil && sp.Primary() != nil {
		forEach(sp, func(t *memtx.Tuple) {
			u, err := parseUser(t)
			if err != nil {
				return
			}
			b.users[u.ID] = u
			b.userByName[u.Name] = u
		})
	}
	b.dropAccessCache()
}

// parseGrant is priv_def_create_from_tuple.
func parseGrant(t *memtx.Tuple) (uid uint32, g grant, err error) {
	if g.grantor, err = fieldU32(t, 0, "grantor"); err != nil {
		return
	}
	if uid, err = fieldU32(t, 1, "grantee"); err != nil {
		return
	}
	if g.objType, err = fieldStr(t, 2, "object_type"); err != nil {
		return
	}
	obj := t.Field(3)
	switch msgpack.TypeOf(obj) {
	case msgpack.Uint:
		v, _, e := msgpack.ReadUint(obj)
		if e != nil || v > 0xffffffff {
			err = boxerr.New(boxerr.ER_FIELD_TYPE, "4", "unsigned")
			return
		}
		g.objID = uint32(v)
	case msgpack.Str:
		s, _, _ := msgpack.ReadString(obj)
		if s != "" {
			err = boxerr.New(boxerr.ER_FIELD_TYPE, "4", "unsigned")
			return
		}
		g.isEntity = true
	default:
		err = boxerr.New(boxerr.ER_FIELD_TYPE, "4", "unsigned")
		return
	}
	if !knownObjectType(g.objType) {
		err = boxerr.New(boxerr.ER_UNKNOWN_SCHEMA_OBJECT, g.objType)
		return
	}
	if g.objType == objUniverse {
		g.isEntity = false
		g.objID = 0
	}
	var a uint32
	if a, err = fieldU32(t, 4, "privilege"); err != nil {
		return
	}
	g.access = Access(a)
	return
}

// reloadGrants rebuilds the privilege table from _priv.
func (b *Box) reloadGrants() {
	b.grants = make(map[uint32][]grant)
	sp := b.spaces[privSpaceID]
	if sp != nil && sp.Primary() != nil {
		forEach(sp, func(t *memtx.Tuple) {
			uid, g, err := parseGrant(t)
			if err == nil {
				b.grants[uid] = append(b.grants[uid], g)
			}
		})
	}
	b.dropAccessCache()
}

// roleClosure returns uid and every role granted to it, transitively
// (a role grant is a 'role' privilege with execute).
func (b *Box) roleClosure(uid uint32) []uint32 {
	seen := map[uint32]bool{uid: true}
	out := []uint32{uid}
	for i := 0; i < len(out); i++ {
		for _, g := range b.grants[out[i]] {
			if g.objType == objRole && !g.isEntity && g.access&AccessExecute != 0 && !seen[g.objID] {
				seen[g.objID] = true
				out = append(out, g.objID)
			}
		}
	}
	return out
}

// effective is the access uid has on one object (or on a whole entity
// type when isEntity), through its own grants and all its roles.
func (b *Box) effective(uid uint32, objType string, objID uint32, isEntity bool) Access {
	k := effKey{uid, objType, objID, isEntity}
	if a, ok := b.effCache[k]; ok {
		return a
	}
	var a Access
	for _, r := range b.roleClosure(uid) {
		for _, g := range b.grants[r] {
			if g.objType != objType || g.isEntity != isEntity || g.objID != objID {
				continue
			}
			a |= g.access
		}
	}
	b.effCache[k] = a
	return a
}

// dropAccessCache forgets every memoized access, after a change of _user
// or _priv.
func (b *Box) dropAccessCache() {
	b.effCache = make(map[effKey]Access)
	b.accessVersion++
}

func (b *Box) universal(uid uint32) Access { return b.effective(uid, objUniverse, 0, false) }

func (b *Box) entity(uid uint32, objType string) Access {
	return b.effective(uid, objType, 0, true)
}

func (b *Box) userName(uid uint32) string {
	if u := b.users[uid]; u != nil {
		return u.Name
	}
	return fmt.Sprint(uid)
}

func accessDenied(a Access, objType, name, user string) *boxerr.Error {
	return boxerr.AccessDenied(privName(a), objType, name, user)
}
