package luamod

import (
	"strings"

	"github.com/spindledb/spindle/internal/lua"
)

// The uri module is Tarantool 2.6's builtin/uri.lua in lua/uri.lua over
// Go in place of src/lib/uri: uri_parse runs Tarantool's Ragel grammar
// (uri_grammar.go) on the engine of uri_machine.go, so that every quirk
// of the generated parser is reproduced; uri_format is uri_format.
func init() {
	addModule("uri", 0, func(L lua.State, _ *Options) {
		registerLua(L, "uri", "uri.lua", func(L lua.State) {
			L.NewTable()
			L.SetFuncs(-1, map[string]lua.Function{
				"uri_parse":  uriParse,
				"uri_format": uriFormat,
			})
		})
	})
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

// uriParse is uri_parse(buf, str, convmsg) for uri.lua: the fields of
// str's parse as a table (scheme ... fragment, and the ipv4, ipv6 or unix
// marker), or nil when str is not a URI. convmsg, when given, is the
// FFI's message for an argument that does not convert to const char *,
// raised as the C call's argument error.
func uriParse(L lua.State) int {
	if msg, ok := L.ToString(3); ok {
		L.ArgError(2, msg)
	}
	s := L.CheckString(2)
	u, ok := ParseURI(s)
	if !ok {
		L.PushNil()
		return 1
	}
	L.CreateTable(0, 9)
	for i, p := range u.fields() {
		if *p != nil {
			L.PushString(**p)
			L.RawSetField(-2, uriFieldNames[i])
		}
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"ipv4", u.IPv4}, {"ipv6", u.IPv6}, {"unix", u.Unix}} {
		if m.v != nil {
			L.PushString(*m.v)
			L.RawSetField(-2, m.name)
		}
	}
	return 1
}

// uriFormat is uri_format(scheme, login, password, host, service, path,
// query, fragment, write_password) for uri.lua, which has checked the
// fields: each is a string or nil.
func uriFormat(L lua.State) int {
	var u URI
	for i, p := range u.fields() {
		if s, ok := L.ToString(i + 1); ok && L.Type(i+1) == lua.TypeString {
			*p = &s
		}
	}
	L.PushString(luaFormatURI(u, L.ToBool(int(uriFieldCount)+1)))
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
