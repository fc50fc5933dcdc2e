package box

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
)

// Session is one client session (an IPROTO connection, the console, a
// replication link). Its user changes with Authenticate and SetUser.
type Session struct {
	ID  uint64
	uid uint32
	box *Box
	// spaces memoizes what uid may do on every space (universal access
	// and the space entity's), the part of access_check_space every
	// request asks: valid while uid and the box's accessVersion are
	// those it was computed for.
	spaces struct {
		ok      bool
		uid     uint32
		version uint64
		access  Access
	}
}

// allSpacesAccess is the access the session's user has on every space.
func (b *Box) allSpacesAccess(s *Session) Access {
	c := &s.spaces
	if !c.ok || c.uid != s.uid || c.version != b.accessVersion {
		c.ok, c.uid, c.version = true, s.uid, b.accessVersion
		c.access = b.universal(s.uid) | b.entity(s.uid, objSpace)
	}
	return c.access
}

// NewSession starts a session of user guest.
func (b *Box) NewSession() *Session {
	b.nextSessionID++
	return &Session{ID: b.nextSessionID, uid: GuestID, box: b}
}

// AdminSession starts a session of user admin (instance file, console).
func (b *Box) AdminSession() *Session {
	s := b.NewSession()
	s.uid = AdminID
	return s
}

// As returns the session s acting as user uid, for a fiber that runs a
// setuid function or box.session.su(user, fn): the same session id, the
// access of uid, and s itself unchanged for its other fibers.
func (s *Session) As(uid uint32) *Session {
	return &Session{ID: s.ID, uid: uid, box: s.box}
}

// UserID is the session's effective user.
func (s *Session) UserID() uint32 { return s.uid }

// UserName is the name of the session's effective user.
func (s *Session) UserName() string { return s.box.userName(s.uid) }

// SetUser changes the session user (box.session.su).
func (b *Box) SetUser(s *Session, uid uint32) error {
	if b.users[uid] == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
	}
	s.uid = uid
	return nil
}

// Authenticate checks a chap-sha1 scramble computed with salt (the first
// 20 bytes are used) and on success switches the session to the user. A
// failure leaves the session unchanged.
func (b *Box) Authenticate(s *Session, user string, salt, scramble []byte) error {
	b.collect(StatAuth)
	u := b.userByName[user]
	if u == nil || u.IsRole {
		return boxerr.New(boxerr.ER_NO_SUCH_USER, user)
	}
	// guest may log in with an empty scramble (authenticate() in 2.6).
	if !(u.ID == GuestID && len(scramble) == 0) {
		if len(scramble) != proto.ScrambleSize {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid scramble size")
		}
		if u.hash2 == nil || !proto.CheckScramble(salt, scramble, u.hash2) {
			return boxerr.New(boxerr.ER_PASSWORD_MISMATCH, user)
		}
	}
	// Login requires session and usage on universe (2.6 authenticate()).
	if a := b.universal(u.ID); a&AccessSession == 0 {
		return accessDenied(AccessSession, objUniverse, "", u.Name)
	} else if a&AccessUsage == 0 {
		return accessDenied(AccessUsage, objUniverse, "", u.Name)
	}
	s.uid = u.ID
	return nil
}

// uidOf is the effective user of a statement: admin for internal work
// (bootstrap, recovery, nil session).
func uidOf(s *Session) uint32 {
	if s == nil {
		return AdminID
	}
	return s.uid
}

// checkSpaceAccess is access_check_space.
func (b *Box) checkSpaceAccess(s *Session, sp *Space, access Access) error {
	if s == nil || b.loading {
		return nil
	}
	uid := s.uid
	access |= AccessUsage
	need := access &^ b.allSpacesAccess(s)
	if need == 0 {
		return nil
	}
	if need&AccessUsage != 0 || (sp.OwnerID != uid && need&^b.effective(uid, objSpace, sp.ID, false) != 0) {
		if b.users[uid] == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
		}
		// Where 2.6's access_check_space raises them.
		if b.universal(uid)&AccessUsage == 0 {
			return accessDenied(AccessUsage, objUniverse, "", b.userName(uid)).At("./src/box/space.c", 86)
		}
		return accessDenied(access, objSpace, sp.Name, b.userName(uid)).At("./src/box/space.c", 91)
	}
	return nil
}

// checkDDL is access_check_ddl: create/drop/alter (or grant/revoke) on an
// object of objType; owners may drop and alter what they own.
func (b *Box) checkDDL(s *Session, name string, objID, owner uint32, objType string, priv Access) error {
	if s == nil || b.loading {
		return nil
	}
	uid := s.uid
	has := b.universal(uid)
	access := (AccessUsage | priv) &^ has
	isOwner := owner == uid || uid == AdminID
	if access == 0 {
		return nil
	}
	if objType != objUniverse {
		access &^= b.entity(uid, objType)
	}
	if access == 0 || (isOwner && access&(AccessUsage|AccessCreate) == 0) {
		return nil
	}
	if access&AccessUsage == 0 {
		access &^= b.effective(uid, objType, objID, false)
		if access == 0 {
			return nil
		}
	}
	if b.users[uid] == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
	}
	if access&AccessUsage != 0 {
		return accessDenied(AccessUsage, objUniverse, "", b.userName(uid))
	}
	return accessDenied(access, objType, name, b.userName(uid))
}

// CheckAccess checks access on one object for Lua-level operations:
// universe and entity grants count, and so does ownership of a space or
// function.
func (b *Box) CheckAccess(s *Session, objType string, objID uint32, access Access) error {
	if s == nil {
		return nil
	}
	uid := s.uid
	need := (access | AccessUsage) &^ b.universal(uid)
	if need == 0 {
		return nil
	}
	// The positions are those of the checks of 2.6 these stand for:
	// access_check_space for spaces, access_check_universe otherwise.
	file, usageLine, line := "./src/box/session.cc", 332, 332
	if objType == objSpace {
		file, usageLine, line = "./src/box/space.c", 86, 91
	}
	if need&AccessUsage != 0 {
		return accessDenied(AccessUsage, objUniverse, "", b.userName(uid)).At(file, usageLine)
	}
	if objType == objUniverse {
		return accessDenied(need, objUniverse, "", b.userName(uid)).At(file, line)
	}
	need &^= b.entity(uid, objType)
	need &^= b.effective(uid, objType, objID, false)
	if need == 0 {
		return nil
	}
	name, owner := b.objectName(objType, objID)
	if owner == uid {
		return nil
	}
	return accessDenied(need, objType, name, b.userName(uid)).At(file, line)
}

// CheckCall checks the right to call a function by name, as 2.6's
// box_process_call does: a function registered in _func is checked by
// CheckFuncAccess (func_access_check), any other name needs execute and
// usage on universe (access_check_universe_object), the error naming the
// function.
func (b *Box) CheckCall(s *Session, name string) error {
	if s == nil {
		return nil
	}
	if f := b.funcByName[name]; f != nil {
		return b.CheckFuncAccess(s, f)
	}
	uid := s.uid
	if denied := (AccessExecute | AccessUsage) &^ b.universal(uid); denied != 0 {
		if b.users[uid] == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
		}
		return accessDenied(denied, objFunction, name, b.userName(uid)).At("./src/box/session.cc", 332)
	}
	return nil
}

// CheckFuncAccess is 2.6's func_access_check: execute and usage on
// universe, or execute on all functions, on f itself, or ownership of f,
// with usage from universe or all functions.
func (b *Box) CheckFuncAccess(s *Session, f *Func) error {
	if s == nil {
		return nil
	}
	uid := s.uid
	uni := b.universal(uid)
	if uni&(AccessExecute|AccessUsage) == AccessExecute|AccessUsage {
		return nil
	}
	need := (AccessExecute | AccessUsage) &^ b.entity(uid, objFunction)
	need &^= uni
	if need&AccessUsage != 0 || (f.OwnerID != uid && need&^b.effective(uid, objFunction, f.ID, false) != 0) {
		if b.users[uid] == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
		}
		return accessDenied(AccessExecute, objFunction, f.Name, b.userName(uid)).At("./src/box/func.c", 629)
	}
	return nil
}

// objectName is schema_find_name plus the owner of the object.
func (b *Box) objectName(objType string, objID uint32) (string, uint32) {
	switch objType {
	case objSpace:
		if sp := b.spaces[objID]; sp != nil {
			return sp.Name, sp.OwnerID
		}
	case objFunction:
		if f := b.funcs[objID]; f != nil {
			return f.Name, f.OwnerID
		}
	case objUser, objRole:
		if u := b.users[objID]; u != nil {
			return u.Name, u.OwnerID
		}
	case objSequence:
		if sp := b.spaces[sequenceSpaceID]; sp != nil && sp.Primary() != nil {
			if t, _ := sp.Primary().Get(keyU32(objID)); t != nil {
				n, _ := fieldStr(t, 2, "name")
				o, _ := fieldU32(t, 1, "owner")
				return n, o
			}
		}
	}
	return "", ^uint32(0)
}
