package luamod

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// http.client follows 2.6's split: the driver (src/lua/httpc.c over
// libcurl) is Go over net/http here, builtin/http.client.lua is
// lua/http.client.lua. A request runs in a goroutine while its fiber
// waits without the baton (Options.Block); a cancellation ends the wait
// with status 408 and a wakeup with status 0 ("Unknown"), as 2.6's wait
// on the request's condition ends with either.
//
// What a request looks like on the wire follows curl as 2.6 drives it:
// "Accept: */*" and "Connection: close" unless given (keep-alive only
// with keepalive_idle and keepalive_interval), no User-Agent, every
// method but GET and HEAD sent with a body (empty: Content-Length 0) and
// "Content-Type: application/x-www-form-urlencoded" unless given, a GET
// with a body sent as a POST, redirects followed by default. Headers are
// written in net/http's order, not curl's.
//
// The response is 2.6's: status; reason "Ok" for statuses 100-399 and
// "Unknown" for the rest; headers with lower-case names cut to
// max_header_name_length, each a list of values (http.client.lua joins
// them), from the first response of a redirect chain, as 2.6's parser
// stops at the end of the first header block; proto from that response;
// body when not empty. Transfer failures are statuses as 2.6 maps curl's
// codes (595 no connection or no name, 408 timeout, 444 nothing
// received, 495 certificate refused); other failures raise a
// SystemError "curl: <curl's text>".
//
// Where Spindle differs from 2.6, on purpose:
//   - Only http and https URLs; others raise "curl: Unsupported
//     protocol" (curl would speak ftp and the rest).
//   - verbose = true is refused (an error): curl's trace format is not
//     reproduced.
//   - A redirect chain stops after 50 hops ("curl: Number of redirects
//     hit maximum amount"); 2.6's curl has no limit.
//   - A string option is sent whole: curl reads up to the first NUL.

func init() { addModule("http.client", 0, preloadHTTPClient) }

func preloadHTTPClient(L lua.State, opts *Options) {
	d := &httpDriver{opts: opts}
	registerLua(L, "http.client", "http.client.lua", d.push)
}

// httpDriver is the Go side of one Lua universe's http.client.
type httpDriver struct {
	opts       *Options
	clientType *lua.ObjectType
}

// push pushes the driver table: new(max_connections,
// max_total_connections).
func (d *httpDriver) push(L lua.State) {
	if d.clientType == nil {
		L.NewTable()
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{"request": d.request, "stat": d.stat})
		L.RawSetField(-2, "__index")
		d.clientType = L.NewObjectType("httpc")
		d.clientType.Finalize = func(_ lua.State, v any) { v.(*httpClient).close() }
	}
	L.NewTable()
	L.PushFunction(d.newClient)
	L.RawSetField(-2, "new")
}

// httpClient is one driver object: its connection pools and counters.
type httpClient struct {
	maxConns int // curl's connection cache size; <= 0: net/http's default
	// total bounds the connections open at once (max_total_connections;
	// nil: no bound): a dial takes a place, a close gives it back.
	total chan struct{}

	mu         sync.Mutex
	transports map[string]*http.Transport // by TLS and proxy settings

	active, socketsAdded, socketsDeleted atomic.Int64
	// Counted under the baton.
	totalRequests, ok200, other, failed int64
}

func (c *httpClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
	c.transports = nil
}

// new(max_connections, max_total_connections) is a driver object.
func (d *httpDriver) newClient(L lua.State) int {
	maxConns := checkLong(L, 1)
	maxTotal := checkLong(L, 2)
	c := &httpClient{maxConns: maxConns, transports: make(map[string]*http.Transport)}
	if maxTotal > 0 {
		c.total = make(chan struct{}, maxTotal)
	}
	L.PushObject(d.clientType, c)
	return 1
}

// checkLong is luaL_checklong.
func checkLong(L lua.State, n int) int {
	v := L.CheckNumber(n)
	if math.IsNaN(v) || v > math.MaxInt32 || v < math.MinInt32 {
		return 0
	}
	return int(v)
}

func (d *httpDriver) client(L lua.State) *httpClient {
	return L.CheckObject(1, d.clientType).(*httpClient)
}

// stat() is the table of the client's counters.
func (d *httpDriver) stat(L lua.State) int {
	c := d.client(L)
	L.CreateTable(0, 7)
	for _, kv := range []struct {
		k string
		v int64
	}{
		{"active_requests", c.active.Load()}, {"sockets_added", c.socketsAdded.Load()},
		{"sockets_deleted", c.socketsDeleted.Load()}, {"total_requests", c.totalRequests},
		{"http_200_responses", c.ok200}, {"http_other_responses", c.other},
		{"failed_requests", c.failed},
	} {
		L.PushInt64(kv.v)
		L.RawSetField(-2, kv.k)
	}
	return 1
}

// httpOpts are a request's options.
type httpOpts struct {
	headers                     [][2]string
	caPath, caFile, sslKey      *string
	sslCert, unixSocket         *string
	proxy, proxyUserPwd         *string
	noProxy, iface, acceptEnc   *string
	verifyHost, verifyPeer      *bool
	proxyPort                   int
	keepIdle, keepInterval      int
	lowSpeedLimit, lowSpeedTime int
	timeout                     float64
	maxHeaderName               int
	followLocation              bool
}

// httpTimeoutInfinity is 2.6's TIMEOUT_INFINITY.
const httpTimeoutInfinity = 100 * 365 * 24 * 3600

// request(method, url, body, opts) runs one request: the response table,
// or a raised error.
func (d *httpDriver) request(L lua.State) int {
	c := d.client(L)
	method := L.CheckString(2)
	rawURL := L.CheckString(3)
	var body []byte
	hasBody := false
	switch L.Type(4) {
	case lua.TypeString, lua.TypeNumber:
		s, _ := L.ToString(4)
		body = []byte(s)
		hasBody = len(body) > 0
	case lua.TypeNil, lua.TypeNone:
	default:
		L.Errorf("fourth argument must be a string")
	}
	if !L.IsTable(5) {
		L.Errorf("fifth argument must be a table")
	}
	o := d.readOpts(L)

	u, err := parseRequestURL(rawURL)
	if err != nil {
		c.totalRequests++
		c.failed++
		d.raiseCurl(L, err.(*curlError))
	}
	req, err := d.newRequest(method, u, body, hasBody, o)
	if err != nil {
		c.totalRequests++
		c.failed++
		d.raiseCurl(L, err.(*curlError))
	}
	c.totalRequests++
	res := d.run(c, req, o)
	if res.err != nil {
		c.failed++
		d.raiseCurl(L, res.err)
	}
	switch {
	case res.failure != 0:
		c.failed++
	case res.status == 200:
		c.ok200++
	default:
		c.other++
	}
	d.pushResponse(L, res, o)
	return 1
}

// readOpts reads the options table at 5 in 2.6's order, with its checks.
func (d *httpDriver) readOpts(L lua.State) *httpOpts {
	o := &httpOpts{timeout: httpTimeoutInfinity, maxHeaderName: 32, followLocation: true}
	field := func(k string) bool {
		if err := L.GetField(5, k); err != nil {
			L.Raise()
		}
		if L.IsNil(-1) {
			L.Pop(1)
			return false
		}
		return true
	}
	str := func(k string) *string {
		if !field(k) {
			return nil
		}
		s, _ := L.ToString(-1)
		L.Pop(1)
		return &s
	}
	num := func(k string) (float64, bool) {
		if !field(k) {
			return 0, false
		}
		v := L.ToNumber(-1)
		L.Pop(1)
		return v, true
	}
	boolean := func(k string, onlyBool bool) *bool {
		if !field(k) {
			return nil
		}
		if onlyBool && L.Type(-1) != lua.TypeBoolean {
			L.Pop(1)
			return nil
		}
		b := L.ToBool(-1)
		L.Pop(1)
		return &b
	}
	if field("headers") {
		if !L.IsTable(-1) {
			L.Errorf("opts.headers should be a table")
		}
		L.PushNil()
		for L.Next(-2) {
			if L.Type(-1) != lua.TypeString {
				L.Errorf("opts.headers values should be strings")
			}
			if L.Type(-2) != lua.TypeString {
				L.Errorf("opts.headers keys should be strings")
			}
			k, _ := L.ToString(-2)
			v, _ := L.ToString(-1)
			o.headers = append(o.headers, [2]string{k, v})
			L.Pop(1)
		}
		L.Pop(1)
	}
	o.caPath = str("ca_path")
	o.caFile = str("ca_file")
	o.unixSocket = str("unix_socket")
	o.verifyHost = boolean("verify_host", false)
	o.verifyPeer = boolean("verify_peer", false)
	o.sslKey = str("ssl_key")
	o.sslCert = str("ssl_cert")
	o.proxy = str("proxy")
	if v, ok := num("proxy_port"); ok {
		o.proxyPort = clampLong(v)
	}
	o.proxyUserPwd = str("proxy_user_pwd")
	o.noProxy = str("no_proxy")
	if v, ok := num("keepalive_idle"); ok {
		o.keepIdle = clampLong(v)
	}
	if v, ok := num("keepalive_interval"); ok {
		o.keepInterval = clampLong(v)
	}
	if v, ok := num("low_speed_limit"); ok {
		o.lowSpeedLimit = clampLong(v)
	}
	if v, ok := num("low_speed_time"); ok {
		o.lowSpeedTime = clampLong(v)
	}
	if v, ok := num("timeout"); ok {
		o.timeout = v
	}
	if v, ok := num("max_header_name_length"); ok {
		o.maxHeaderName = clampLong(v)
	}
	if b := boolean("verbose", true); b != nil && *b {
		L.Errorf("http.client: verbose = true is not supported")
	}
	o.iface = str("interface")
	if b := boolean("follow_location", true); b != nil {
		o.followLocation = *b
	}
	o.acceptEnc = str("accept_encoding")
	return o
}

// clampLong is C's (long) of a Lua number, bounded.
func clampLong(v float64) int {
	if math.IsNaN(v) {
		return 0
	}
	return int(max(min(v, math.MaxInt32), math.MinInt32))
}

// curlError is a failure 2.6 raises: curl's text for its code, and the
// errno the SystemError carries.
type curlError struct {
	msg   string
	errno syscall.Errno
}

func (e *curlError) Error() string { return "curl: " + e.msg }

func (d *httpDriver) raiseCurl(L lua.State, e *curlError) {
	be := boxerr.System("curl: " + e.msg)
	be.Errno = int(e.errno)
	if be.Errno == 0 {
		be.Errno = int(syscall.EINVAL)
	}
	if d.opts.NewError != nil {
		d.opts.NewError(L, be)
	} else {
		pushFioDefaultError(L, be)
	}
	L.Raise()
}

// curl's texts for the codes the client reports.
const (
	curlBadURL         = "URL using bad/illegal format or missing URL"
	curlUnsupported    = "Unsupported protocol"
	curlNoResolve      = "Couldn't resolve host name"
	curlNoResolveProxy = "Couldn't resolve proxy name"
	curlNoConnect      = "Couldn't connect to server"
	curlTimeout        = "Timeout was reached"
	curlGotNothing     = "Server returned nothing (no headers, no data)"
	curlPeerFailed     = "SSL peer certificate or SSH remote key was not OK"
	curlSSLConnect     = "SSL connect error"
	curlCACert         = "Problem with the SSL CA cert (path? access rights?)"
	curlCertProblem    = "Problem with the local SSL certificate"
	curlRecvError      = "Failure when receiving data from the peer"
	curlSendError      = "Failed sending data to the peer"
	curlInterface      = "Failed binding local connection end"
	curlRedirects      = "Number of redirects hit maximum amount"
	curlBadEncoding    = "Unrecognized or bad HTTP Content or Transfer-Encoding"
	curlWeird          = "Weird server reply"
)

// parseRequestURL reads a URL as curl does: without a scheme it is
// http; only http and https are spoken.
func parseRequestURL(raw string) (*url.URL, error) {
	if i := strings.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i] // curl reads a C string
	}
	if raw == "" {
		return nil, &curlError{msg: curlBadURL}
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.ContainsAny(raw, " \t\r\n") {
		return nil, &curlError{msg: curlBadURL}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, &curlError{msg: curlUnsupported}
	}
	return u, nil
}

// httpReqCtx is what the dialer learns of the request it dials for.
type httpReqCtx struct {
	unixSocket *string
	iface      *string
	keepIdle   time.Duration
	keepIntvl  time.Duration
	counter    *atomic.Int64 // bytes moved, for low_speed_*
}

type httpCtxKey struct{}

// newRequest builds the net/http request of method, u and body.
func (d *httpDriver) newRequest(method string, u *url.URL, body []byte, hasBody bool, o *httpOpts) (*http.Request, error) {
	if method == "GET" && hasBody {
		method = "POST" // curl's POSTFIELDS makes a GET a POST
	}
	withBody := method != "GET" && method != "HEAD"
	var rd io.Reader
	if withBody {
		if !hasBody {
			body = nil
		}
		rd = strings.NewReader(string(body))
	} else {
		body = nil
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		return nil, &curlError{msg: curlBadURL}
	}
	if withBody {
		req.ContentLength = int64(len(body))
		if len(body) == 0 {
			req.Body = http.NoBody
			// "identity" makes net/http send Content-Length: 0 for
			// every method, as curl does with its empty POSTFIELDS.
			req.TransferEncoding = []string{"identity"}
		}
	}
	h := req.Header
	keepalive := o.keepIdle > 0 && o.keepInterval > 0
	var hasAccept, hasConnection, hasKeepAlive, hasType bool
	for _, kv := range o.headers {
		name, value := kv[0], kv[1]
		switch strings.ToLower(name) {
		case "accept":
			hasAccept = true
		case "connection":
			hasConnection = true
		case "keep-alive":
			hasKeepAlive = true
		case "content-type":
			hasType = true
		case "host":
			req.Host = value
			continue
		case "content-length":
			continue // the body's own length is sent, as curl does
		}
		h.Add(name, value)
	}
	if !hasAccept {
		h.Set("Accept", "*/*")
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // net/http then sends none, as curl
	}
	if !hasConnection {
		if keepalive {
			h.Set("Connection", "Keep-Alive")
		} else {
			req.Close = true
		}
	} else if strings.EqualFold(h.Get("Connection"), "close") {
		req.Close = true
	}
	if keepalive && !hasKeepAlive {
		h.Set("Keep-Alive", "timeout="+strconv.Itoa(o.keepIdle))
	}
	if withBody && !hasType {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if o.acceptEnc != nil {
		enc := *o.acceptEnc
		if enc == "" {
			enc = "deflate, gzip"
		}
		h.Set("Accept-Encoding", enc)
	}
	rc := &httpReqCtx{unixSocket: o.unixSocket, iface: o.iface}
	if keepalive {
		rc.keepIdle = time.Duration(o.keepIdle) * time.Second
		rc.keepIntvl = time.Duration(o.keepInterval) * time.Second
	}
	if o.lowSpeedLimit > 0 && o.lowSpeedTime > 0 {
		rc.counter = new(atomic.Int64)
	}
	return req.WithContext(context.WithValue(context.Background(), httpCtxKey{}, rc)), nil
}

// httpResult is what a request ended with.
type httpResult struct {
	status  int
	reason  string
	failure int // the status of a transfer failure, 0 for a response
	headers http.Header
	proto   [2]int
	body    []byte
	err     *curlError // a failure that raises
}

// maxRedirects bounds a redirect chain.
const maxRedirects = 50

// run performs req in a goroutine while the fiber waits without the
// baton: until it ends, the timeout passes, the transfer is too slow
// (low_speed_*) or the fiber is cancelled.
func (d *httpDriver) run(c *httpClient, req *http.Request, o *httpOpts) *httpResult {
	tr, cerr := c.transport(o)
	if cerr != nil {
		return &httpResult{err: cerr}
	}
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	req = req.WithContext(ctx)
	rc := ctx.Value(httpCtxKey{}).(*httpReqCtx)

	var first *http.Response // the first response of the chain
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := tr.RoundTrip(r)
		if err == nil && first == nil {
			first = resp
		}
		return resp, err
	})
	hc := &http.Client{Transport: rt, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if !o.followLocation {
			return http.ErrUseLastResponse
		}
		if len(via) >= maxRedirects {
			return errTooManyRedirects
		}
		// curl keeps the headers it was given on every hop
		for _, kv := range o.headers {
			if strings.EqualFold(kv[0], "host") || strings.EqualFold(kv[0], "content-length") {
				continue
			}
			if r.Header.Get(kv[0]) == "" {
				r.Header.Add(kv[0], kv[1])
			}
		}
		if _, ok := r.Header["User-Agent"]; !ok {
			r.Header["User-Agent"] = []string{""}
		}
		r.Header.Del("Referer") // curl sends none without AUTOREFERER
		r.Close = req.Close
		return nil
	}}

	done := make(chan *httpResult, 1)
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			done <- classifyHTTPError(err)
			return
		}
		defer resp.Body.Close()
		res := &httpResult{status: resp.StatusCode}
		var rd io.Reader = resp.Body
		if o.acceptEnc != nil {
			var derr error
			rd, derr = decodeBody(resp.Header.Get("Content-Encoding"), rd)
			if derr != nil {
				done <- &httpResult{status: 595, failure: 595, reason: curlBadEncoding}
				return
			}
		}
		body, err := io.ReadAll(rd)
		if err != nil {
			r := classifyHTTPError(err)
			if r.err == nil && r.failure == 444 {
				r = &httpResult{err: &curlError{msg: curlRecvError, errno: syscall.ECONNRESET}}
			}
			if errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrHeader) || errors.Is(err, flate.CorruptInputError(0)) {
				r = &httpResult{status: 595, failure: 595, reason: curlBadEncoding}
			}
			done <- r
			return
		}
		res.body = body
		f := first
		if f == nil {
			f = resp
		}
		res.headers = f.Header.Clone()
		if len(f.TransferEncoding) > 0 {
			res.headers["Transfer-Encoding"] = append([]string(nil), f.TransferEncoding...)
		}
		res.proto = [2]int{f.ProtoMajor, f.ProtoMinor}
		done <- res
	}()

	timeout := waitTimeout(o.timeout)
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	c.active.Add(1)
	defer c.active.Add(-1)
	lowSpeed := newLowSpeed(rc.counter, o.lowSpeedLimit, o.lowSpeedTime)
	var res *httpResult
	var expired, woken bool
	d.opts.block(func(wk <-chan struct{}) {
		var expire <-chan time.Time
		if timeout >= 0 {
			t := time.NewTimer(max(time.Until(deadline), 0))
			defer t.Stop()
			expire = t.C
		}
		var tick <-chan time.Time
		if lowSpeed != nil {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case res = <-done:
				return
			case <-expire:
				expired = true
				return
			case <-wk:
				woken = true
				return
			case <-tick:
				if lowSpeed.tooSlow() {
					expired = true
					return
				}
			}
		}
	})
	if res != nil {
		return res
	}
	cancel()
	<-done // the goroutine ends with the context
	if woken && !expired && !d.opts.cancelled() {
		// 2.6's wait on the request's condition ends with a wakeup too;
		// curl has no status then: 0, "Unknown".
		return &httpResult{status: 0}
	}
	return &httpResult{status: 408, failure: 408, reason: curlTimeout}
}

// roundTripFunc is an http.RoundTripper of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var errTooManyRedirects = errors.New("too many redirects")

// lowSpeed watches a transfer's byte count once a second: too slow when
// it moved less than limit bytes a second over the last window seconds.
type lowSpeed struct {
	counter *atomic.Int64
	limit   int64
	window  int
	samples []int64
}

func newLowSpeed(counter *atomic.Int64, limit, window int) *lowSpeed {
	if counter == nil {
		return nil
	}
	return &lowSpeed{counter: counter, limit: int64(limit), window: window, samples: []int64{0}}
}

func (l *lowSpeed) tooSlow() bool {
	l.samples = append(l.samples, l.counter.Load())
	if len(l.samples) <= l.window {
		return false
	}
	l.samples = l.samples[len(l.samples)-l.window-1:]
	moved := l.samples[l.window] - l.samples[0]
	return moved < l.limit*int64(l.window)
}

// classifyHTTPError maps a net/http failure to 2.6's outcome: a status
// for the codes 2.6 turns into one, a raised error for the rest.
func classifyHTTPError(err error) *httpResult {
	status := func(code int, reason string) *httpResult {
		return &httpResult{status: code, failure: code, reason: reason}
	}
	var ce *curlError
	if errors.As(err, &ce) {
		return &httpResult{err: ce}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status(408, curlTimeout)
	}
	if errors.Is(err, errTooManyRedirects) {
		return &httpResult{err: &curlError{msg: curlRedirects}}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "proxyconnect" {
			return status(595, curlNoResolveProxy)
		}
		return status(595, curlNoResolve)
	}
	var verr *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	if errors.As(err, &verr) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		return status(495, curlPeerFailed)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		switch op.Op {
		case "dial", "proxyconnect":
			return status(595, curlNoConnect)
		case "read":
			return &httpResult{err: &curlError{msg: curlRecvError, errno: errnoIn(err)}}
		case "write":
			return &httpResult{err: &curlError{msg: curlSendError, errno: errnoIn(err)}}
		case "remote error":
			return &httpResult{err: &curlError{msg: curlSSLConnect}}
		}
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) {
		return &httpResult{err: &curlError{msg: curlSSLConnect}}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return status(444, curlGotNothing)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "malformed HTTP response"):
		return &httpResult{err: &curlError{msg: curlUnsupported}}
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "invalid header"):
		return &httpResult{err: &curlError{msg: curlWeird}}
	case strings.Contains(msg, "tls:"):
		return &httpResult{err: &curlError{msg: curlSSLConnect}}
	}
	return &httpResult{err: &curlError{msg: curlRecvError, errno: errnoIn(err)}}
}

// errnoIn is the errno inside err, or 0.
func errnoIn(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return 0
}

// decodeBody undoes a Content-Encoding that accept_encoding asked for.
func decodeBody(enc string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "identity":
		return r, nil
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "deflate":
		return zlib.NewReader(r)
	}
	return nil, fmt.Errorf("unknown content encoding %q", enc)
}

// transport returns the client's transport for o's TLS and proxy
// settings, made at first use.
func (c *httpClient) transport(o *httpOpts) (*http.Transport, *curlError) {
	key := strings.Join([]string{optStr(o.caPath), optStr(o.caFile), optStr(o.sslCert), optStr(o.sslKey),
		optBool(o.verifyPeer), optBool(o.verifyHost), optStr(o.proxy), strconv.Itoa(o.proxyPort),
		optStr(o.proxyUserPwd), optStr(o.noProxy)}, "\x00")
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.transports[key]; t != nil {
		return t, nil
	}
	// TLS settings that cannot be used fail https connections only, as
	// curl reads them only for those.
	tlsConf, tlsErr := tlsConfig(o)
	proxy, cerr := proxyFunc(o)
	if cerr != nil {
		return nil, cerr
	}
	t := &http.Transport{
		Proxy:              proxy,
		DialContext:        c.dial,
		TLSClientConfig:    tlsConf,
		DisableCompression: true, // accept_encoding decides
		ForceAttemptHTTP2:  false,
		MaxIdleConns:       100,
		IdleConnTimeout:    118 * time.Second, // curl's connection cache age
	}
	if tlsErr != nil {
		t.TLSClientConfig = nil
		t.DialTLSContext = func(context.Context, string, string) (net.Conn, error) { return nil, tlsErr }
	}
	if c.maxConns > 0 {
		t.MaxIdleConns = c.maxConns
		t.MaxIdleConnsPerHost = c.maxConns
	}
	if c.transports == nil {
		c.transports = make(map[string]*http.Transport)
	}
	c.transports[key] = t
	return t, nil
}

func optStr(s *string) string {
	if s == nil {
		return "\x01"
	}
	return *s
}

func optBool(b *bool) string {
	if b == nil {
		return "-"
	}
	return strconv.FormatBool(*b)
}

// tlsConfig is curl's TLS settings of o: peer and host verification (on
// by default), the CA file and directory, the client certificate.
func tlsConfig(o *httpOpts) (*tls.Config, *curlError) {
	conf := &tls.Config{}
	verifyPeer := o.verifyPeer == nil || *o.verifyPeer
	verifyHost := o.verifyHost == nil || *o.verifyHost
	if o.caFile != nil || o.caPath != nil {
		pool := x509.NewCertPool()
		if o.caFile != nil {
			pem, err := os.ReadFile(*o.caFile)
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				if verifyPeer {
					return nil, &curlError{msg: curlCACert}
				}
			}
		}
		if o.caPath != nil {
			files, err := filepath.Glob(filepath.Join(*o.caPath, "*"))
			if err != nil && verifyPeer {
				return nil, &curlError{msg: curlCACert}
			}
			for _, f := range files {
				if pem, err := os.ReadFile(f); err == nil {
					pool.AppendCertsFromPEM(pem)
				}
			}
		}
		conf.RootCAs = pool
	}
	if o.sslCert != nil {
		key := *o.sslCert
		if o.sslKey != nil {
			key = *o.sslKey
		}
		cert, err := tls.LoadX509KeyPair(*o.sslCert, key)
		if err != nil {
			return nil, &curlError{msg: curlCertProblem}
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	switch {
	case !verifyPeer:
		conf.InsecureSkipVerify = true
	case !verifyHost:
		// The chain is verified, the name is not.
		roots := conf.RootCAs
		conf.InsecureSkipVerify = true
		conf.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			certs := make([]*x509.Certificate, 0, len(raw))
			for _, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs = append(certs, c)
			}
			if len(certs) == 0 {
				return x509.UnknownAuthorityError{}
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return conf, nil
}

// proxyFunc is curl's proxy settings: proxy ("host", "host:port" or a
// URL; http:// when it has no scheme), proxy_port for a proxy without a
// port (curl's default 1080), proxy_user_pwd ("user:password"),
// no_proxy (a comma-separated list of hosts and domains, "*" for all).
// Without proxy, the environment's (http_proxy and the rest) as curl.
func proxyFunc(o *httpOpts) (func(*http.Request) (*url.URL, error), *curlError) {
	if o.proxy == nil {
		return envProxy(o), nil
	}
	raw := *o.proxy
	if raw == "" {
		return nil, nil // an empty proxy disables the environment's, as in curl
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	pu, err := url.Parse(raw)
	if err != nil || pu.Host == "" {
		return nil, &curlError{msg: curlNoResolveProxy}
	}
	if pu.Port() == "" {
		port := 1080
		if o.proxyPort > 0 {
			port = o.proxyPort
		}
		pu.Host = net.JoinHostPort(pu.Hostname(), strconv.Itoa(port))
	}
	if o.proxyUserPwd != nil {
		user, pwd, _ := strings.Cut(*o.proxyUserPwd, ":")
		pu.User = url.UserPassword(user, pwd)
	}
	noProxy := ""
	if o.noProxy != nil {
		noProxy = *o.noProxy
	}
	return func(r *http.Request) (*url.URL, error) {
		if noProxyMatch(noProxy, r.URL.Hostname()) {
			return nil, nil
		}
		return pu, nil
	}, nil
}

// envProxy is the environment's proxy, with no_proxy from o when given.
func envProxy(o *httpOpts) func(*http.Request) (*url.URL, error) {
	if o.noProxy == nil {
		return http.ProxyFromEnvironment
	}
	noProxy := *o.noProxy
	return func(r *http.Request) (*url.URL, error) {
		if noProxyMatch(noProxy, r.URL.Hostname()) {
			return nil, nil
		}
		return http.ProxyFromEnvironment(r)
	}
}

// noProxyMatch is curl's no_proxy test: "*" matches every host, an entry
// matches the host itself and its subdomains.
func noProxyMatch(list, host string) bool {
	host = strings.ToLower(host)
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		e = strings.TrimPrefix(e, ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}

// dial opens a connection for a request: to the unix socket it names or
// the address, from its interface, with its TCP keep-alive, counted as
// curl counts sockets, within max_total_connections.
func (c *httpClient) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	rc, _ := ctx.Value(httpCtxKey{}).(*httpReqCtx)
	if rc == nil {
		rc = &httpReqCtx{}
	}
	if c.total != nil {
		select {
		case c.total <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	release := func() {
		if c.total != nil {
			<-c.total
		}
	}
	dialer := &net.Dialer{}
	if rc.keepIdle > 0 {
		dialer.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: rc.keepIdle, Interval: rc.keepIntvl, Count: -1}
	} else {
		dialer.KeepAlive = -1
	}
	if rc.iface != nil && rc.unixSocket == nil {
		local, err := localAddr(*rc.iface)
		if err != nil {
			release()
			return nil, &curlError{msg: curlInterface, errno: syscall.EADDRNOTAVAIL}
		}
		dialer.LocalAddr = local
	}
	if rc.unixSocket != nil {
		network, addr = "unix", *rc.unixSocket
	}
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		release()
		return nil, err
	}
	c.socketsAdded.Add(1)
	return &countedConn{Conn: conn, client: c, counter: rc.counter, release: release}, nil
}

// localAddr is curl's interface option: an interface name, an address,
// or a host name, the local end of connections.
func localAddr(name string) (net.Addr, error) {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "if!"), "host!")
	if ip := net.ParseIP(name); ip != nil {
		return &net.TCPAddr{IP: ip}, nil
	}
	if ifc, err := net.InterfaceByName(name); err == nil {
		addrs, err := ifc.Addrs()
		if err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					return &net.TCPAddr{IP: ipn.IP}, nil
				}
			}
		}
		return nil, errors.New("interface without an address")
	}
	ips, err := net.LookupIP(name)
	if err != nil || len(ips) == 0 {
		return nil, errors.New("unknown interface")
	}
	return &net.TCPAddr{IP: ips[0]}, nil
}

// countedConn counts its close as a socket deleted, gives back its place
// in max_total_connections and counts the bytes it moves.
type countedConn struct {
	net.Conn
	client  *httpClient
	counter *atomic.Int64
	release func()
	once    sync.Once
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.counter != nil {
		c.counter.Add(int64(n))
	}
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.counter != nil {
		c.counter.Add(int64(n))
	}
	return n, err
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.client.socketsDeleted.Add(1)
		c.release()
	})
	return err
}

// pushResponse pushes the response table: status, reason, headers
// (lower-case names cut to max_header_name_length, each a list of
// values in order), proto and body.
func (d *httpDriver) pushResponse(L lua.State, res *httpResult, o *httpOpts) {
	L.CreateTable(0, 5)
	L.PushInt(res.status)
	L.RawSetField(-2, "status")
	reason := res.reason
	if res.failure == 0 {
		if res.status >= 100 && res.status < 400 {
			reason = "Ok"
		} else {
			reason = "Unknown"
		}
	}
	L.PushString(reason)
	L.RawSetField(-2, "reason")
	if res.failure != 0 {
		return
	}
	if res.headers != nil || res.proto != [2]int{} {
		L.NewTable()
		for name, values := range res.headers {
			key := strings.ToLower(name)
			if limit := o.maxHeaderName; limit >= 0 && len(key) > limit {
				key = key[:limit]
			}
			L.RawGetField(-1, key)
			if L.IsNil(-1) {
				L.Pop(1)
				L.CreateTable(len(values), 0)
				L.PushValue(-1)
				L.RawSetField(-3, key)
			}
			n := L.ObjLen(-1)
			for _, v := range values {
				n++
				L.PushString(v)
				L.RawSetI(-2, n)
			}
			L.Pop(1)
		}
		L.RawSetField(-2, "headers")
		L.CreateTable(2, 0)
		L.PushInt(max(res.proto[0], 0))
		L.RawSetI(-2, 1)
		L.PushInt(max(res.proto[1], 0))
		L.RawSetI(-2, 2)
		L.RawSetField(-2, "proto")
	}
	if len(res.body) > 0 {
		L.PushBytes(res.body)
		L.RawSetField(-2, "body")
	}
}
