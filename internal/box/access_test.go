package box

import (
	"encoding/base64"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/proto"
)

// createUser inserts the rows 2.6's box.schema.user.create writes.
func createUser(t *testing.T, b *Box, admin *Session, uid uint32, name, password string) {
	t.Helper()
	auth := map[string]any{}
	if password != "" {
		auth["chap-sha1"] = base64.StdEncoding.EncodeToString(proto.PasswordHash2(password))
	}
	exec(t, b, admin, nil, ins(userSpaceID, uid, 1, name, "user", auth))
	exec(t, b, admin, nil, ins(privSpaceID, 1, uid, "role", 2, 4))
	exec(t, b, admin, nil, ins(privSpaceID, 1, uid, "universe", 0, 24))
	exec(t, b, admin, nil, ins(privSpaceID, 1, uid, "user", uid, 128))
}

func grantRow(t *testing.T, b *Box, s *Session, grantee uint32, objType string, obj any, a Access) {
	t.Helper()
	exec(t, b, s, nil, Request{Type: reqReplace, SpaceID: privSpaceID, Tuple: mp(arr(uidOf(s), grantee, objType, obj, uint32(a)))})
}

// TestPrivileges replays /tmp-style scenario verified on Tarantool 2.6.0
// (box.session.su as guest and as a fresh user 'u').
func TestPrivileges(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "test", nil, nil)
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	exec(t, b, admin, nil, ins(512, 1))
	createUser(t, b, admin, 32, "u", "pw")
	exec(t, b, admin, nil, ins(userSpaceID, 33, 1, "r", "role", map[string]any{}))

	guest := b.NewSession()
	u := b.NewSession()
	if err := b.SetUser(u, 32); err != nil {
		t.Fatal(err)
	}
	get := sel(512, 0, memtx.IterALL)
	_, err := b.Select(guest, &get)
	checkErr(t, err, boxerr.ER_ACCESS_DENIED, "Read access to space 'test' is denied for user 'guest'")
	_, err = b.Select(u, &get)
	checkErr(t, err, boxerr.ER_ACCESS_DENIED, "Read access to space 'test' is denied for user 'u'")

	grantRow(t, b, admin, 33, "space", 512, AccessRead)  // grant read on test to role r
	grantRow(t, b, admin, 32, "role", 33, AccessExecute) // grant r to u
	if _, err := b.Select(u, &get); err != nil {
		t.Fatalf("read through role: %v", err)
	}
	execErr(t, b, u, ins(512, 2), boxerr.ER_ACCESS_DENIED, "Write access to space 'test' is denied for user 'u'")
	grantRow(t, b, admin, 32, "space", "", AccessWrite) // write on all spaces
	exec(t, b, u, nil, ins(512, 2))
	// A session's memo of its access to all spaces follows a revoke and
	// a new grant, and a change of user.
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: privSpaceID, Key: mp(arr(32, "space", ""))})
	execErr(t, b, u, ins(512, 3), boxerr.ER_ACCESS_DENIED, "Write access to space 'test' is denied for user 'u'")
	grantRow(t, b, admin, 32, "space", "", AccessWrite)
	exec(t, b, u, nil, ins(512, 3))
	mustSetUser := func(s *Session, uid uint32) {
		t.Helper()
		if err := b.SetUser(s, uid); err != nil {
			t.Fatal(err)
		}
	}
	mustSetUser(u, GuestID)
	execErr(t, b, u, ins(512, 4), boxerr.ER_ACCESS_DENIED, "Write access to space 'test' is denied for user 'guest'")
	mustSetUser(u, 32)
	exec(t, b, u, nil, ins(512, 4))

	// DDL: create needs 'create' on space entity or universe.
	grantRow(t, b, admin, 32, "space", spaceSpaceID, AccessRead|AccessWrite)
	grantRow(t, b, admin, 32, "space", indexSpaceID, AccessRead|AccessWrite)
	newSpace := ins(spaceSpaceID, 600, 32, "x", "memtx", 0, map[string]any{}, arr())
	execErr(t, b, u, newSpace, boxerr.ER_ACCESS_DENIED, "Create access to space 'x' is denied for user 'u'")
	grantRow(t, b, admin, 32, "space", "", AccessWrite|AccessCreate)
	exec(t, b, u, nil, newSpace)
	// owner may create indexes and drop its own space
	createIndex(t, b, u, 600, 0, "pk", "tree", true, arr(0, "unsigned"))
	exec(t, b, u, nil, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(600, 0))})
	exec(t, b, u, nil, Request{Type: reqDelete, SpaceID: spaceSpaceID, Key: mp(arr(600))})
	// but not someone else's
	execErr(t, b, u, Request{Type: reqDelete, SpaceID: spaceSpaceID, Key: mp(arr(512))}, boxerr.ER_ACCESS_DENIED,
		"Drop access to space 'test' is denied for user 'u'")

	// Role loops are refused.
	_, err = b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: privSpaceID, Tuple: mp(arr(1, 2, "role", 33, 4))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: privSpaceID, Tuple: mp(arr(1, 33, "role", 2, 4))})
	checkErr(t, err, boxerr.ER_ROLE_LOOP, "Granting role 'public' to role 'r' would create a loop")

	// Calls.
	checkErr(t, b.CheckCall(guest, "nosuch"), boxerr.ER_ACCESS_DENIED, "Execute access to function 'nosuch' is denied for user 'guest'")
	if err := b.CheckCall(guest, "box.schema.user.info"); err != nil {
		t.Fatalf("public function: %v", err)
	}
	if err := b.CheckCall(admin, "nosuch"); err != nil {
		t.Fatalf("admin call: %v", err)
	}
	checkErr(t, b.CheckAccess(u, "universe", 0, AccessExecute), boxerr.ER_ACCESS_DENIED,
		"Execute access to universe '' is denied for user 'u'")

	// Dropping a user with objects or grants is refused; system users never.
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: userSpaceID, Key: mp(arr(32))}, boxerr.ER_DROP_USER,
		"Failed to drop user or role 'u': the user has objects")
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: userSpaceID, Key: mp(arr(2))}, boxerr.ER_DROP_USER,
		"Failed to drop user or role 'public': the user or the role is a system")

	// Read-only mode: writes to ordinary spaces fail, temporary ones work.
	b.SetReadOnly(true)
	execErr(t, b, admin, ins(512, 9), boxerr.ER_READONLY, "Can't modify data because this instance is in read-only mode.")
	b.SetReadOnly(false)
}

func TestAuthenticate(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createUser(t, b, admin, 32, "u", "pw")
	createUser(t, b, admin, 34, "nolog", "x")
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: privSpaceID, Key: mp(arr(34, "universe", 0))})
	salt := []byte("0123456789abcdefghijklmnopqrstuv")
	s := b.NewSession()
	checkErr(t, b.Authenticate(s, "u", salt, proto.Scramble(salt, "bad")), boxerr.ER_PASSWORD_MISMATCH, "Incorrect password supplied for user 'u'")
	checkErr(t, b.Authenticate(s, "nobody", salt, proto.Scramble(salt, "x")), boxerr.ER_NO_SUCH_USER, "User 'nobody' is not found")
	checkErr(t, b.Authenticate(s, "nolog", salt, proto.Scramble(salt, "x")), boxerr.ER_ACCESS_DENIED,
		"Session access to universe '' is denied for user 'nolog'")
	if s.UserName() != "guest" {
		t.Fatalf("failed auth changed the user to %s", s.UserName())
	}
	if err := b.Authenticate(s, "u", salt, proto.Scramble(salt, "pw")); err != nil || s.UserName() != "u" {
		t.Fatalf("auth: %v, user %s", err, s.UserName())
	}
	if err := b.Authenticate(s, "guest", salt, nil); err != nil || s.UserID() != GuestID {
		t.Fatalf("guest auth: %v", err)
	}
	// Tarantool's stored hash for "secret" (reference §3).
	if got := base64.StdEncoding.EncodeToString(proto.PasswordHash2("secret")); got != "FOZVZ6vbUTXQz9mnCzAywXmknuc=" {
		t.Fatalf("hash2(secret) = %s", got)
	}
}

// TestViews compares the visible row counts of the system views with
// Tarantool 2.6.0 (as a fresh user 'u' and as guest, with an admin-owned
// space 'test' present): 9, 22, 2, 3|2, 67, 277.
func TestViews(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "test", nil, nil)
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	createUser(t, b, admin, 32, "u", "pw")
	u := b.NewSession()
	_ = b.SetUser(u, 32)
	count := func(s *Session, id uint32) int {
		r := sel(id, 0, memtx.IterALL)
		res, err := b.Select(s, &r)
		if err != nil {
			t.Fatalf("select %d: %v", id, err)
		}
		return len(res)
	}
	views := []uint32{vspaceSpaceID, vindexSpaceID, vuserSpaceID, vprivSpaceID, vfuncSpaceID, vcollationSpaceID}
	for _, c := range []struct {
		s    *Session
		want []int
	}{{u, []int{9, 22, 2, 3, 67, 277}}, {b.NewSession(), []int{9, 22, 2, 2, 67, 277}}} {
		for i, id := range views {
			if got := count(c.s, id); got != c.want[i] {
				t.Errorf("user %s view %d: %d rows, want %d", c.s.UserName(), id, got, c.want[i])
			}
		}
	}
	// admin sees everything
	if got := count(admin, vspaceSpaceID); got != 26 {
		t.Errorf("admin _vspace: %d", got)
	}
	// the owner sees its space
	exec(t, b, admin, nil, ins(spaceSpaceID, 513, 32, "mine", "memtx", 0, map[string]any{}, arr()))
	if got := count(u, vspaceSpaceID); got != 10 {
		t.Errorf("owner _vspace: %d", got)
	}
}
