package luamod

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// PreloadURI registers the uri module: uri.parse(str) and
// uri.format(t[, write_password]), as Tarantool 2.6's builtin/uri.lua
// over src/lib/uri.
func PreloadURI(L *lua.LState) {
	register(L, "uri", loadURI)
}

// URI is a parsed URI as uri.parse returns it. A nil field pointer
// means the field is absent from the Lua table; a present field may be
// empty ("host?" has Query "").
type URI struct {
	Scheme, Login, Password, Host, Service, Path, Query, Fragment *string
	// IPv4, IPv6 and Unix are the markers: Host for an IPv4 or IPv6
	// host, Service (the socket path) for a Unix socket.
	IPv4, IPv6, Unix *string
}

// Limits of struct uri fields after parsing (NI_MAXHOST and
// _POSIX_PATH_MAX in Tarantool): longer hosts or services fail.
const (
	uriMaxHost    = 1025
	uriMaxService = 256
)

// ParseURI parses s as Tarantool 2.6's uri_parse does and reports
// whether it is valid. Like the C parser it stops at the first NUL byte.
func ParseURI(s string) (URI, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return URI{}, false
	}
	var st uriState
	st.reset()
	if !theURIMachine().run(&st, s) {
		return URI{}, false
	}
	if st.f[uriPath].len == 0 {
		st.f[uriPath].ptr = uriNull
	}
	if st.f[uriService].len == 0 {
		st.f[uriService].ptr = uriNull
	}
	if st.f[uriService].len >= uriMaxService || st.f[uriHost].len >= uriMaxHost {
		return URI{}, false
	}
	var vals [uriFieldCount]*string
	for i, sp := range st.f {
		switch {
		case sp.ptr == uriNull:
		case sp.ptr == uriHostUnixPtr && sp.len <= len(uriHostUnix):
			v := uriHostUnix[:sp.len]
			vals[i] = &v
		case sp.ptr >= 0 && sp.len >= 0 && sp.ptr+sp.len <= len(s):
			v := s[sp.ptr : sp.ptr+sp.len]
			vals[i] = &v
		default:
			// A span C would read out of bounds: the grammar never
			// produces one, but input must not make us panic.
			return URI{}, false
		}
	}
	u := URI{Scheme: vals[uriScheme], Login: vals[uriLogin], Password: vals[uriPassword],
		Host: vals[uriHost], Service: vals[uriService], Path: vals[uriPath],
		Query: vals[uriQuery], Fragment: vals[uriFragment]}
	switch st.hostHint {
	case uriHintIPv4:
		u.IPv4 = u.Host
	case uriHintIPv6:
		u.IPv6 = u.Host
	case uriHintUnix:
		u.Unix = u.Service
	}
	return u, true
}

// FormatURI is uri_format: scheme://login[:password]@host:service
// path?query#fragment, where login, password and service appear only
// with a host, and empty fields are skipped. Each field is cut at its
// first NUL byte, as printf's %.*s does.
func FormatURI(u URI, writePassword bool) string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		if i := strings.IndexByte(*p, 0); i >= 0 {
			return (*p)[:i]
		}
		return *p
	}
	var b strings.Builder
	if u.Scheme != nil && *u.Scheme != "" {
		b.WriteString(str(u.Scheme))
		b.WriteString("://")
	}
	if u.Host != nil && *u.Host != "" {
		if u.Login != nil && *u.Login != "" {
			b.WriteString(str(u.Login))
			if u.Password != nil && *u.Password != "" && writePassword {
				b.WriteByte(':')
				b.WriteString(str(u.Password))
			}
			b.WriteByte('@')
		}
		b.WriteString(str(u.Host))
		if u.Service != nil && *u.Service != "" {
			b.WriteByte(':')
			b.WriteString(str(u.Service))
		}
	}
	for _, f := range []struct {
		prefix string
		v      *string
	}{{"", u.Path}, {"?", u.Query}, {"#", u.Fragment}} {
		if f.v != nil && *f.v != "" {
			b.WriteString(f.prefix)
			b.WriteString(str(f.v))
		}
	}
	return b.String()
}

func (u *URI) fields() [uriFieldCount]**string {
	return [uriFieldCount]**string{&u.Scheme, &u.Login, &u.Password, &u.Host, &u.Service, &u.Path, &u.Query, &u.Fragment}
}

// uriFormatLines are the lines of builtin/uri.lua 2.6.0 that read each
// field in format(), for error positions.
var uriFormatLines = [uriFieldCount]string{"63", "65", "67", "69", "71", "73", "75", "77"}

func loadURI(L *lua.LState) int {
	mod := L.NewTable()
	setFuncs(L, mod, map[string]lua.LGFunction{
		"parse":  uriParse,
		"format": uriFormat,
	})
	L.Push(mod)
	return 1
}

func uriParse(L *lua.LState) int {
	v := L.Get(1)
	var s string
	switch v := v.(type) {
	case *lua.LNilType:
		raiseAt(L, "builtin/uri.lua:38", "Usage: uri.parse(string)")
	case lua.LString:
		s = string(v)
	default:
		raiseAt(L, "builtin/uri.lua:41", "bad argument #2 to 'uri_parse' (cannot convert '"+
			ffiTypeName(v)+"' to 'const char *')")
	}
	u, ok := ParseURI(s)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	t := L.NewTable()
	for i, p := range u.fields() {
		if *p != nil {
			t.RawSetString(uriFieldNames[i], lua.LString(**p))
		}
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"ipv4", u.IPv4}, {"ipv6", u.IPv6}, {"unix", u.Unix}} {
		if m.v != nil {
			t.RawSetString(m.name, lua.LString(*m.v))
		}
	}
	L.Push(t)
	return 1
}

func uriFormat(L *lua.LState) int {
	arg := L.Get(1)
	var u URI
	switch arg.(type) {
	case *lua.LTable, *lua.LUserData:
		for i, p := range u.fields() {
			switch v := L.GetField(arg, uriFieldNames[i]).(type) {
			case *lua.LNilType:
			case lua.LString:
				s := string(v)
				*p = &s
			default:
				raiseAt(L, "builtin/uri.lua:"+uriFormatLines[i],
					"cannot convert '"+ffiTypeName(v)+"' to 'const char *'")
			}
		}
	case lua.LString:
		// Indexing a string finds string-library functions or nil; no
		// field name of struct uri is one, so the result is empty.
	default:
		raiseAt(L, "builtin/uri.lua:63", "attempt to index local 'uri' (a "+arg.Type().String()+" value)")
	}
	L.Push(lua.LString(luaFormatURI(u, lua.LVAsBool(L.Get(2)))))
	return 1
}

// uriFormatBuf is the size of builtin/uri.lua's format buffer.
const uriFormatBuf = 1024

// luaFormatURI is FormatURI as uri.format returns it: Tarantool formats
// into a 1024-byte buffer with snprintf but returns as many bytes as the
// full result needs, so a result of 1024 bytes or more keeps its first
// 1023 bytes and is padded with the NUL terminator and the buffer's zero
// bytes (what a fresh static buffer holds) to its full length.
func luaFormatURI(u URI, writePassword bool) string {
	s := FormatURI(u, writePassword)
	if len(s) < uriFormatBuf {
		return s
	}
	return s[:uriFormatBuf-1] + strings.Repeat("\x00", len(s)-(uriFormatBuf-1))
}

// ffiTypeName is the type name LuaJIT's FFI uses in conversion errors.
func ffiTypeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNumber:
		return "number"
	case lua.LTBool:
		return "bool"
	case lua.LTTable:
		return "table"
	case lua.LTFunction:
		return "function"
	case lua.LTUserData:
		return "userdata"
	case lua.LTThread:
		return "thread"
	}
	return v.Type().String()
}
