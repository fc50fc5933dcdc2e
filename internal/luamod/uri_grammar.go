package luamod

import "sync"

// Tarantool's URI grammar (src/lib/uri/uri.rl at 2.6.0): RFC 3986 plus
// its non-standard parts — an optional scheme, login:password split,
// "service" instead of port, "unix/:path" hosts, a bare port and a bare
// absolute path (both of the last meaning a Unix socket). Each method
// below is one named machine of that grammar; calling it builds a fresh
// instance, as every reference in Ragel is walked afresh, so the order
// of calls and act() invocations inside a method is Ragel's walk order
// (see uri_machine.go) and must not be rearranged.

// uriField indexes uriState.f; the order is that of the Lua result.
type uriField int

const (
	uriScheme uriField = iota
	uriLogin
	uriPassword
	uriHost
	uriService
	uriPath
	uriQuery
	uriFragment
	uriFieldCount
)

var uriFieldNames = [uriFieldCount]string{"scheme", "login", "password", "host", "service", "path", "query", "fragment"}

// Host hints as struct uri's host_hint: which marker field parse sets.
const (
	uriHintIPv4 = 1
	uriHintIPv6 = 2
	uriHintUnix = 3
)

// Pointer values of uriState: byte offsets into the input, or one of
// these. uriNull is C's NULL; uriHostUnixPtr is the static "unix/".
const (
	uriNull        = -1
	uriHostUnixPtr = -2
	uriHostUnix    = "unix/"
	// uriHugeLen stands for a length computed from a NULL pointer, which
	// in C is an address-sized number that fails every length check.
	uriHugeLen = 1 << 40
)

// uriSpan is a (pointer, length) pair of struct uri.
type uriSpan struct{ ptr, len int }

// uriState is struct uri plus the parser's locals (s, login, scheme).
type uriState struct {
	s                 int
	login, loginLen   int
	scheme, schemeLen int
	f                 [uriFieldCount]uriSpan
	hostHint          int
}

func (st *uriState) reset() {
	*st = uriState{s: uriNull, login: uriNull, scheme: uriNull}
	for i := range st.f {
		st.f[i] = uriSpan{ptr: uriNull}
	}
}

// diff is p - ptr with C's meaning for a NULL ptr.
func diff(p, ptr int) int {
	if ptr < 0 {
		return uriHugeLen
	}
	return p - ptr
}

type uriGrammar struct {
	b machineBuilder[uriState]
}

// Action bodies shared by several machines.
func setS(st *uriState, p int) { st.s = p }

func (g *uriGrammar) spanFromS(f uriField) func(*uriState, int) {
	return func(st *uriState, p int) { st.f[f] = uriSpan{st.s, diff(p, st.s)} }
}

// actUnix is the grammar's named action 'unix': the first time it runs
// it turns the match into a Unix socket URI whose service is the text
// since s, dropping any path.
func actUnix(st *uriState, p int) {
	if st.hostHint != uriHintUnix {
		st.hostHint = uriHintUnix
		st.f[uriHost] = uriSpan{uriHostUnixPtr, len(uriHostUnix)}
		st.f[uriService] = uriSpan{st.s, diff(p, st.s)}
		st.f[uriPath] = uriSpan{uriNull, 0}
	}
}

var (
	alphaRx  = rxAltOf(rxRange('a', 'z'), rxRange('A', 'Z'))
	digitRx  = rxRange('0', '9')
	xdigitRx = rxAltOf(digitRx, rxRange('a', 'f'), rxRange('A', 'F'))
)

func subDelims() *rx  { return rxBytes("!$&'()*+,;=") }
func unreserved() *rx { return rxAltOf(alphaRx, digitRx, rxBytes("-_~.")) }

// pctEncoded is "%%", "%" hex hex? or "%u" and four hex digits.
func pctEncoded() *rx {
	return rxAltOf(rxLit("%%"),
		rxCatOf(rxLit("%"), xdigitRx, rxOpt(xdigitRx)),
		rxCatOf(rxLit("%u"), xdigitRx, xdigitRx, xdigitRx, xdigitRx))
}

func pcharNC() *rx { return rxAltOf(unreserved(), pctEncoded(), subDelims(), rxLit("@")) }
func pchar() *rx   { return rxAltOf(pcharNC(), rxLit(":"), rxLit("|")) }

func (g *uriGrammar) spanned(f uriField, inner func() *rx) *rx {
	enter := g.b.act(setS)
	r := inner()
	leave := g.b.act(g.spanFromS(f))
	return rxAug(r, []int{enter}, []int{leave})
}

func (g *uriGrammar) query() *rx {
	return g.spanned(uriQuery, func() *rx { return rxStarOf(rxAltOf(pchar(), rxLit("/"), rxLit("?"))) })
}

func (g *uriGrammar) fragment() *rx {
	return g.spanned(uriFragment, func() *rx { return rxStarOf(rxAltOf(pchar(), rxLit("/"), rxLit("?"))) })
}

func segment() *rx     { return rxStarOf(pchar()) }
func segmentNZ() *rx   { return rxPlusOf(pchar()) }
func segmentNZNC() *rx { return rxPlusOf(pcharNC()) }

func pathAbempty() *rx { return rxStarOf(rxCatOf(rxLit("/"), segment())) }
func pathAbsolute() *rx {
	return rxCatOf(rxLit("/"), rxOpt(rxCatOf(segmentNZ(), rxStarOf(rxCatOf(rxLit("/"), segment())))))
}
func pathRootless() *rx { return rxCatOf(pcharNC(), rxStarOf(rxCatOf(rxLit("/"), segment()))) }

func socketPath() *rx {
	abs := func() *rx { return rxPlusOf(rxCatOf(rxLit("/"), segmentNZNC())) }
	return rxAltOf(abs(), rxCatOf(rxLit("."), abs()))
}

func (g *uriGrammar) regName() *rx {
	return g.spanned(uriHost, func() *rx { return rxPlusOf(rxAltOf(unreserved(), pctEncoded(), subDelims())) })
}

// hex1to4 is the grammar's [0-9a-fa-f]{1,4}: lower-case hex only, a
// quirk of the original that makes upper-case IPv6 addresses invalid.
func hex1to4() *rx { return rxRep(rxAltOf(digitRx, rxRange('a', 'f')), 1, 4) }

func ip4addr() *rx {
	oct := rxRep(digitRx, 1, 3)
	return rxCatOf(oct, rxRep(rxCatOf(rxLit("."), oct), 3, 3))
}

func (g *uriGrammar) hostWithHint(hint int, inner func() *rx) *rx {
	enter := g.b.act(setS)
	r := inner()
	leave := g.b.act(func(st *uriState, p int) {
		st.f[uriHost] = uriSpan{st.s, diff(p, st.s)}
		st.hostHint = hint
	})
	return rxAug(r, []int{enter}, []int{leave})
}

func (g *uriGrammar) ip4() *rx { return g.hostWithHint(uriHintIPv4, ip4addr) }

func (g *uriGrammar) ip6() *rx {
	open := rxLit("[")
	addr := g.hostWithHint(uriHintIPv6, func() *rx {
		return rxAltOf(
			rxCatOf(rxOpt(hex1to4()), rxRep(rxCatOf(rxLit(":"), rxOpt(hex1to4())), 1, 8)),
			rxCatOf(rxLit("::"), rxLit("ffff"), rxLit(":"), ip4addr()))
	})
	return rxCatOf(open, addr, rxLit("]"))
}

// unix is "unix/:" followed by a socket path, with s set after the colon.
func (g *uriGrammar) unix() *rx {
	prefix := rxAug(rxLit("unix/:"), nil, []int{g.b.act(setS)})
	inner := rxCatOf(prefix, socketPath())
	return rxAug(inner, nil, []int{g.b.act(actUnix)})
}

func (g *uriGrammar) service() *rx {
	return g.spanned(uriService, func() *rx { return rxAltOf(rxPlusOf(digitRx), rxStarOf(alphaRx)) })
}

func (g *uriGrammar) host() *rx { return rxAltOf(g.ip4(), g.ip6(), g.regName()) }

func userinfoChars() *rx { return rxAltOf(unreserved(), pctEncoded(), subDelims()) }

func (g *uriGrammar) login() *rx {
	enter := g.b.act(setS)
	r := rxPlusOf(userinfoChars())
	leave := g.b.act(func(st *uriState, p int) { st.login, st.loginLen = st.s, diff(p, st.s) })
	return rxAug(r, []int{enter}, []int{leave})
}

func (g *uriGrammar) password() *rx {
	return g.spanned(uriPassword, func() *rx { return rxStarOf(userinfoChars()) })
}

// userinfo is login (":" password)?; the login is published when the
// optional password part is left — also when it is empty.
func (g *uriGrammar) userinfo() *rx {
	login := g.login()
	pw := rxOpt(rxCatOf(rxLit(":"), g.password()))
	publish := g.b.act(func(st *uriState, p int) { st.f[uriLogin] = uriSpan{st.login, st.loginLen} })
	return rxCatOf(login, rxAug(pw, nil, []int{publish}))
}

func (g *uriGrammar) authority() *rx {
	user := rxOpt(rxCatOf(g.userinfo(), rxLit("@")))
	h := g.host()
	svc := rxOpt(rxCatOf(rxLit(":"), g.service()))
	hostPart := rxCatOf(h, svc)
	unixPart := rxCatOf(g.unix(), rxLit(":"))
	return rxCatOf(user, rxAltOf(hostPart, unixPart))
}

func (g *uriGrammar) scheme() *rx {
	first := rxAug(alphaRx, []int{g.b.act(setS)}, nil)
	rest := rxStarOf(rxAltOf(alphaRx, digitRx, rxBytes("+-.")))
	leave := g.b.act(func(st *uriState, p int) { st.scheme, st.schemeLen = st.s, diff(p, st.s) })
	return rxCatOf(first, rxAug(rest, nil, []int{leave}))
}

func (g *uriGrammar) hierPartNoScheme() *rx {
	userUnix := rxCatOf(g.userinfo(), rxLit("@"), g.unix())
	alt1 := rxAug(userUnix, nil, []int{g.b.act(setS)})

	auth := rxAug(g.authority(), nil, []int{g.b.act(setS)})
	withAuth := rxCatOf(auth, rxOpt(pathAbempty()))
	paths := rxAltOf(withAuth, rxOpt(pathAbsolute()), rxOpt(pathRootless()), rxOpt(rxEmptyOf()))
	alt2 := rxAug(paths, nil, []int{g.b.act(g.spanFromS(uriPath))})

	return rxAltOf(alt1, alt2, g.unix())
}

func (g *uriGrammar) hierPart() *rx {
	slashes := rxAug(rxLit("//"), []int{g.b.act(func(st *uriState, p int) {
		st.f[uriScheme] = uriSpan{st.scheme, st.schemeLen}
	})}, nil)
	return rxCatOf(slashes, g.hierPartNoScheme())
}

func (g *uriGrammar) uri() *rx {
	withScheme := rxCatOf(g.scheme(), rxLit(":"), g.hierPart())
	head := rxAltOf(withScheme, g.hierPartNoScheme())
	q := rxOpt(rxCatOf(rxAug(rxLit("?"), []int{g.b.act(setS)}, nil), g.query()))
	fr := rxOpt(rxCatOf(rxAug(rxLit("#"), []int{g.b.act(setS)}, nil), g.fragment()))
	return rxCatOf(head, q, fr)
}

// port is a bare number: the service of a URI without host.
func (g *uriGrammar) port() *rx {
	enter := g.b.act(func(st *uriState, p int) { st.f[uriService].ptr = p })
	r := rxPlusOf(digitRx)
	leave := g.b.act(func(st *uriState, p int) {
		st.f[uriService].len = diff(p, st.f[uriService].ptr)
		st.f[uriHost] = uriSpan{uriNull, 0}
	})
	return rxAug(r, []int{enter}, []int{leave})
}

// path is a bare absolute path (optionally after userinfo@): a Unix
// socket.
func (g *uriGrammar) path() *rx {
	user := rxOpt(rxCatOf(g.userinfo(), rxLit("@")))
	userS := rxAug(user, nil, []int{g.b.act(setS)})
	abs := pathAbsolute()
	return rxCatOf(userS, rxAug(abs, nil, []int{g.b.act(actUnix)}))
}

func (g *uriGrammar) main() *rx {
	u := g.uri()
	p := g.port()
	pa := g.path()
	return rxAltOf(u, p, pa)
}

var (
	uriMachineOnce sync.Once
	uriMachine     *machine[uriState]
)

// theURIMachine compiles the grammar once; the machine is immutable
// and shared by all states and goroutines.
func theURIMachine() *machine[uriState] {
	uriMachineOnce.Do(func() {
		g := &uriGrammar{}
		root := g.main()
		uriMachine = compileMachine(&g.b, root)
	})
	return uriMachine
}
