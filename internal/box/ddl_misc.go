package box

import (
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// sysTrigger is an on_replace trigger of a system space. It runs after the
// system tuple changed in memory; every catalog change it makes registers
// its undo with txn.onUndo.
type sysTrigger func(txn *Txn, old, new *memtx.Tuple) error

// Func is a stored function registered in _func.
type Func struct {
	ID       uint32
	OwnerID  uint32
	Name     string
	Setuid   bool
	Language string
	// The fields of 2.6's longer _func rows (those box.schema.func.create
	// writes), with func_def's defaults for shorter rows: Body and
	// Comment empty when absent, Returns "any", Aggregate "none",
	// ExportsLua true.
	Body            string
	Comment         string
	Returns         string
	Aggregate       string
	IsDeterministic bool
	IsSandboxed     bool
	IsMultikey      bool
	ExportsLua      bool
	ExportsSQL      bool
}

// Funcs returns every registered function in ascending id order.
func (b *Box) Funcs() []*Func {
	out := make([]*Func, 0, len(b.funcs))
	for _, f := range b.funcs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Func returns the function with id, nil if none.
func (b *Box) Func(id uint32) *Func { return b.funcs[id] }

// _func field numbers of 2.6 (BOX_FUNC_FIELD_*), 0-based.
const (
	funcFieldBody            = 5
	funcFieldReturns         = 8
	funcFieldAggregate       = 9
	funcFieldIsDeterministic = 11
	funcFieldIsSandboxed     = 12
	funcFieldExports         = 14
	funcFieldOpts            = 15
	funcFieldComment         = 16
)

// parseFuncExtra reads the fields after language that func_def takes
// from a long _func row. Fields of the wrong type keep their defaults:
// the catalog's own writers (box.schema.func.create) always write them
// right.
func parseFuncExtra(t *memtx.Tuple, f *Func) {
	f.Returns, f.Aggregate, f.ExportsLua = "any", "none", true
	if t.Len() <= funcFieldBody {
		return
	}
	str := func(n int) string {
		v, _ := fieldStr(t, n, "")
		return v
	}
	flag := func(n int) bool {
		v, _ := fieldBool(t, n)
		return v
	}
	f.Body, f.Comment = str(funcFieldBody), str(funcFieldComment)
	if r := str(funcFieldReturns); r != "" {
		f.Returns = r
	}
	if a := str(funcFieldAggregate); a != "" {
		f.Aggregate = a
	}
	f.IsDeterministic, f.IsSandboxed = flag(funcFieldIsDeterministic), flag(funcFieldIsSandboxed)
	if ex := t.Field(funcFieldExports); ex != nil && msgpack.TypeOf(ex) == msgpack.Array {
		f.ExportsLua = false
		cnt, pos, _ := msgpack.ReadArrayHeader(ex)
		for i := uint32(0); i < cnt; i++ {
			s, n, err := msgpack.ReadString(ex[pos:])
			if err != nil {
				break
			}
			pos += n
			switch s {
			case "LUA":
				f.ExportsLua = true
			case "SQL":
				f.ExportsSQL = true
			}
		}
	}
	if o := t.Field(funcFieldOpts); o != nil && msgpack.TypeOf(o) == msgpack.Map {
		_ = mapEntries(o, func() error { return nil }, func(key string, val []byte) error {
			if key == "is_multikey" {
				f.IsMultikey, _, _ = msgpack.ReadBool(val)
			}
			return nil
		})
	}
}

// FuncByName returns the function registered under name, nil if none.
func (b *Box) FuncByName(name string) *Func { return b.funcByName[name] }

func parseFunc(t *memtx.Tuple) (*Func, error) {
	f := &Func{Language: "LUA"}
	var err error
	if f.ID, err = fieldU32(t, 0, "id"); err != nil {
		return nil, err
	}
	if f.OwnerID, err = fieldU32(t, 1, "owner"); err != nil {
		return nil, err
	}
	if f.Name, err = fieldStr(t, 2, "name"); err != nil {
		return nil, err
	}
	if len(f.Name) > nameMax {
		return nil, boxerr.New(boxerr.ER_CREATE_FUNCTION, f.Name[:nameMax], "function name is too long")
	}
	if err := checkIdentifier(f.Name); err != nil {
		return nil, err
	}
	if t.Len() > 3 {
		setuid, err := fieldU32(t, 3, "setuid")
		if err != nil {
			return nil, err
		}
		f.Setuid = setuid != 0
	}
	if t.Len() > 4 {
		if f.Language, err = fieldStr(t, 4, "language"); err != nil {
			return nil, err
		}
		switch f.Language {
		case "LUA", "C", "SQL_BUILTIN", "SQL_EXPR":
		default:
			return nil, boxerr.New(boxerr.ER_FUNCTION_LANGUAGE, f.Language, f.Name)
		}
	}
	parseFuncExtra(t, f)
	return f, nil
}

// FuncVersion counts the changes of the function catalog (box.func
// follows it): every change of _func, and every undone one.
func (b *Box) FuncVersion() uint64 { return b.funcVersion }

func (b *Box) reloadFuncs() {
	b.funcVersion++
	b.funcs = make(map[uint32]*Func)
	b.funcByName = make(map[string]*Func)
	if sp := b.spaces[funcSpaceID]; sp != nil {
		forEach(sp, func(t *memtx.Tuple) {
			if f, err := parseFunc(t); err == nil {
				b.funcs[f.ID] = f
				b.funcByName[f.Name] = f
			}
		})
	}
}

// onReplaceFunc is on_replace_dd_func.
func (b *Box) onReplaceFunc(txn *Txn, old, new *memtx.Tuple) error {
	switch {
	case old == nil && new != nil:
		f, err := parseFunc(new)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, f.Name, f.ID, f.OwnerID, objFunction, AccessCreate); err != nil {
			return err
		}
		// 2.6 compiles a Lua function's body when the function is
		// created; a body that does not load fails the insert.
		if f.Language == "LUA" && f.Body != "" && b.FuncLoader != nil && !b.loading {
			if err := b.FuncLoader(f); err != nil {
				return err
			}
		}
	case old != nil && new == nil:
		f, err := parseFunc(old)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, f.Name, f.ID, f.OwnerID, objFunction, AccessDrop); err != nil {
			return err
		}
		if b.hasGrantsOn(objFunction, f.ID) {
			return boxerr.New(boxerr.ER_DROP_FUNCTION, f.ID, "function has grants")
		}
	default:
		return boxerr.New(boxerr.ER_UNSUPPORTED, "function", "alter")
	}
	b.reloadFuncs()
	txn.onUndoReload(b.reloadFuncs)
	return nil
}

// onReplaceUser is on_replace_dd_user.
func (b *Box) onReplaceUser(txn *Txn, old, new *memtx.Tuple) error {
	ref := new
	if old != nil {
		ref = old
	}
	uid, err := fieldU32(ref, 0, "id")
	if err != nil {
		return err
	}
	oldUser := b.users[uid]
	switch {
	case new != nil && oldUser == nil:
		u, err := parseUser(new)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, u.Name, u.ID, u.OwnerID, userObjType(u), AccessCreate); err != nil {
			return err
		}
		if len(b.users) >= userMax {
			return boxerr.New(boxerr.ER_USER_MAX, userMax)
		}
	case new == nil:
		if oldUser == nil {
			return nil
		}
		if err := b.checkDDL(txn.session, oldUser.Name, oldUser.ID, oldUser.OwnerID, userObjType(oldUser), AccessDrop); err != nil {
			return err
		}
		if uid <= PublicID || uid == SuperID {
			return boxerr.New(boxerr.ER_DROP_USER, oldUser.Name, "the user or the role is a system")
		}
		if b.userHasData(uid) {
			return boxerr.New(boxerr.ER_DROP_USER, oldUser.Name, "the user has objects")
		}
	default:
		u, err := parseUser(new)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, u.Name, u.ID, u.ID, userObjType(oldUser), AccessAlter); err != nil {
			return err
		}
	}
	b.reloadUsers()
	txn.onUndoReload(b.reloadUsers)
	return nil
}

func userObjType(u *User) string {
	if u.IsRole {
		return objRole
	}
	return objUser
}

// userHasData is user_has_data: owned spaces, functions or sequences,
// privileges granted by or to the user, or the user (as a role) granted
// to someone. Users and roles it created do not count, as in 2.6.
func (b *Box) userHasData(uid uint32) bool {
	for _, sp := range b.spaces {
		if sp.OwnerID == uid {
			return true
		}
	}
	for _, f := range b.funcs {
		if f.OwnerID == uid {
			return true
		}
	}
	if len(b.grants[uid]) > 0 {
		return true
	}
	for _, gs := range b.grants {
		for _, g := range gs {
			if g.grantor == uid || g.objType == objRole && !g.isEntity && g.objID == uid {
				return true
			}
		}
	}
	if sp := b.spaces[sequenceSpaceID]; sp != nil {
		found := false
		forEach(sp, func(t *memtx.Tuple) {
			if o, err := fieldU32(t, 1, "owner"); err == nil && o == uid {
				found = true
			}
		})
		return found
	}
	return false
}

// onReplacePriv is on_replace_dd_priv.
func (b *Box) onReplacePriv(txn *Txn, old, new *memtx.Tuple) error {
	if new != nil {
		grantee, g, err := parseGrant(new)
		if err != nil {
			return err
		}
		if err := b.checkPriv(txn, grantee, g, AccessGrant); err != nil {
			return err
		}
	} else {
		grantee, g, err := parseGrant(old)
		if err != nil {
			return err
		}
		if err := b.checkPriv(txn, grantee, g, AccessRevoke); err != nil {
			return err
		}
	}
	b.reloadGrants()
	txn.onUndoReload(b.reloadGrants)
	return nil
}

// checkPriv is priv_def_check.
func (b *Box) checkPriv(txn *Txn, grantee uint32, g grant, priv Access) error {
	if b.loading {
		return nil
	}
	grantor := b.users[g.grantor]
	if grantor == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(g.grantor))
	}
	ge := b.users[grantee]
	if ge == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(grantee))
	}
	name := ""
	if !g.isEntity {
		name, _ = b.objectName(g.objType, g.objID)
	}
	objType := g.objType
	if err := b.checkDDL(txn.session, name, g.objID, grantor.ID, objType, priv); err != nil {
		return err
	}
	denied := func() error { return accessDenied(priv, objType, name, grantor.Name) }
	isAdmin := grantor.ID == AdminID
	switch {
	case objType == objUniverse:
		if !isAdmin {
			return denied()
		}
	case g.isEntity:
		if !isAdmin {
			return denied()
		}
	case objType == objSpace:
		sp := b.spaces[g.objID]
		if sp == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(g.objID))
		}
		if sp.OwnerID != grantor.ID && !isAdmin {
			return denied()
		}
	case objType == objFunction:
		f := b.funcs[g.objID]
		if f == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_FUNCTION, itoa(g.objID))
		}
		if f.OwnerID != grantor.ID && !isAdmin {
			return denied()
		}
	case objType == objSequence:
		n, owner := b.objectName(objSequence, g.objID)
		if n == "" {
			return boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(g.objID))
		}
		if owner != grantor.ID && !isAdmin {
			return denied()
		}
	case objType == objRole:
		role := b.users[g.objID]
		if role == nil || !role.IsRole {
			n := itoa(g.objID)
			if role != nil {
				n = role.Name
			}
			return boxerr.New(boxerr.ER_NO_SUCH_ROLE, n)
		}
		if role.OwnerID != grantor.ID && !isAdmin && (role.ID != PublicID || g.access != AccessExecute) {
			return denied()
		}
		// role_check: granting role to grantee must not close a loop.
		if priv == AccessGrant {
			for _, r := range b.roleClosure(role.ID) {
				if r == grantee {
					return boxerr.New(boxerr.ER_ROLE_LOOP, role.Name, ge.Name)
				}
			}
		}
	case objType == objUser:
		u := b.users[g.objID]
		if u == nil || u.IsRole {
			n := itoa(g.objID)
			if u != nil {
				n = u.Name
			}
			return boxerr.New(boxerr.ER_NO_SUCH_USER, n)
		}
		if u.OwnerID != grantor.ID && !isAdmin {
			return denied()
		}
	}
	if g.access == 0 && priv == AccessGrant {
		return boxerr.New(boxerr.ER_GRANT, "the grant tuple has no privileges")
	}
	return nil
}

// onReplaceCluster is on_replace_dd_cluster.
func (b *Box) onReplaceCluster(txn *Txn, old, new *memtx.Tuple) error {
	checkID := func(id uint32) error {
		if id == 0 {
			return boxerr.New(boxerr.ER_REPLICA_ID_IS_RESERVED, id)
		}
		if id >= vclockMax {
			return boxerr.New(boxerr.ER_REPLICA_MAX, id)
		}
		if !b.loading && id == b.instanceID {
			return boxerr.New(boxerr.ER_LOCAL_INSTANCE_ID_IS_READ_ONLY, id)
		}
		return nil
	}
	if new != nil {
		id, err := fieldU32(new, 0, "id")
		if err != nil {
			return err
		}
		if err := checkID(id); err != nil {
			return err
		}
		u, err := fieldUUID(new, 1)
		if err != nil {
			return err
		}
		if old != nil {
			prev, err := fieldUUID(old, 1)
			if err != nil {
				return err
			}
			if prev != u {
				return boxerr.New(boxerr.ER_UNSUPPORTED, "Space _cluster", "updates of instance uuid")
			}
			return nil
		}
		txn.onCommit(func() {
			b.cluster[id] = u
			if u == b.opts.InstanceUUID {
				b.instanceID = id
			}
		})
		return nil
	}
	id, err := fieldU32(old, 0, "id")
	if err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	txn.onCommit(func() {
		if b.cluster[id] == b.opts.InstanceUUID {
			b.instanceID = 0
		}
		delete(b.cluster, id)
	})
	return nil
}

// fieldUUID is tuple_field_uuid: a canonical uuid string, not nil.
func fieldUUID(t *memtx.Tuple, fieldno int) (string, error) {
	s, err := fieldStr(t, fieldno, "uuid")
	if err != nil {
		return "", err
	}
	u, ok := parseUUID(s)
	if !ok || u == nilUUID {
		return "", boxerr.New(boxerr.ER_INVALID_UUID, s)
	}
	return u, nil
}

const nilUUID = "00000000-0000-0000-0000-000000000000"

// parseUUID accepts the 36-character text form (any hex case) and
// returns it lowercased.
func parseUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	out := []byte(s)
	for i, c := range out {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			out[i] = c + 'a' - 'A'
		default:
			return "", false
		}
	}
	return string(out), true
}

// onReplaceSchema is on_replace_dd_schema: 'cluster' holds the replica
// set uuid and cannot be deleted.
func (b *Box) onReplaceSchema(txn *Txn, old, new *memtx.Tuple) error {
	ref := new
	if ref == nil {
		ref = old
	}
	key, err := fieldStr(ref, 0, "key")
	if err != nil {
		return err
	}
	if key != "cluster" {
		return nil
	}
	if new == nil {
		return boxerr.New(boxerr.ER_REPLICASET_UUID_IS_RO)
	}
	u, err := fieldUUID(new, 1)
	if err != nil {
		return err
	}
	prev := b.replicasetUUID
	b.replicasetUUID = u
	txn.onUndo(func() { b.replicasetUUID = prev })
	return nil
}

// onReplaceTruncate is on_replace_dd_truncate: any write other than the
// first INSERT of a space's record truncates the space.
func (b *Box) onReplaceTruncate(txn *Txn, old, new *memtx.Tuple) error {
	if new == nil {
		return nil
	}
	id, err := fieldU32(new, 0, "id")
	if err != nil {
		return err
	}
	sp := b.spaces[id]
	if sp == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(id))
	}
	if txn.curType == reqInsert {
		return nil
	}
	if sp.IsSystem() {
		return boxerr.New(boxerr.ER_TRUNCATE_SYSTEM_SPACE, sp.Name)
	}
	if err := b.checkSpaceAccess(txn.session, sp, AccessWrite); err != nil {
		return err
	}
	if sp.Temporary || sp.IsLocal {
		txn.curGroupLocal = true
	}
	var saved []*memtx.Tuple
	forEach(sp, func(t *memtx.Tuple) { saved = append(saved, t) })
	sp.Truncate()
	txn.onUndo(func() {
		sp.Truncate()
		for _, t := range saved {
			if _, err := sp.Replace(nil, t, memtx.DupInsert); err != nil {
				panic("box: cannot undo truncate of " + sp.Name + ": " + err.Error())
			}
		}
	})
	return nil
}

// onReplaceCollation is on_replace_dd_collation for what Spindle keeps:
// collations are looked up in _collation when an index names one, so only
// the changes 2.6 refuses need checking.
func (b *Box) onReplaceCollation(txn *Txn, old, new *memtx.Tuple) error {
	if old != nil && new != nil {
		return boxerr.New(boxerr.ER_UNSUPPORTED, "collation", "alter")
	}
	return nil
}
