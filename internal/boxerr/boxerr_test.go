package boxerr

import "testing"

func TestMessages(t *testing.T) {
	cases := []struct {
		err  *Error
		code Code
		msg  string
	}{
		{New(ER_TUPLE_FOUND, "primary", "test"), 3, "Duplicate key exists in unique index 'primary' in space 'test'"},
		{New(ER_NO_SUCH_SPACE, "512"), 36, "Space '512' does not exist"},
		{New(ER_PASSWORD_MISMATCH, "bob"), 47, "Incorrect password supplied for user 'bob'"},
		{New(ER_UNKNOWN_REQUEST_TYPE, 48), 48, "Unknown request type 48"},
		{New(ER_ACCESS_DENIED, "Read", "space", "t", "guest"), 42, "Read access to space 't' is denied for user 'guest'"},
		{New(ER_NO_SUCH_PROC, "nope"), 33, "Procedure 'nope' is not defined"},
		{New(ER_UPDATE_ARG_TYPE, '+', "2", "a number"), 26, "Argument type in operation '+' on field 2 does not match field type: expected a number"},
	}
	for _, c := range cases {
		if c.err.Code != c.code || c.err.Message != c.msg || c.err.Type != "ClientError" {
			t.Errorf("got %d %q, want %d %q", c.err.Code, c.err.Message, c.code, c.msg)
		}
	}
	if ER_LOADING.Name() != "ER_LOADING" || ER_LOADING != 116 {
		t.Fatalf("ER_LOADING = %d %s", ER_LOADING, ER_LOADING.Name())
	}
}
