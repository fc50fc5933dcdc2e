package luamod

import (
	"bytes"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runHTTP runs chunk with http (the http.client module) as a global and
// returns what it prints.
func runHTTP(t *testing.T, chunk string) string {
	t.Helper()
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	if err := L.DoString("http = require('http.client')\n"+chunk, "=test"); err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	return out.String()
}

func expectLines(t *testing.T, got, want string) {
	t.Helper()
	if strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTTPClientTLS: certificates are verified against ca_file (and
// refused with 495 without it), verify_peer = false skips the check,
// verify_host = false checks the chain but not the name, a client
// certificate that cannot be loaded raises for https only.
func TestHTTPClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	capath := filepath.Join(dir, "certs")
	os.Mkdir(capath, 0o755)
	os.WriteFile(filepath.Join(capath, "a.pem"), pemData, 0o644)
	url := srv.URL + "/"
	byName := strings.Replace(url, "127.0.0.1", "localhost", 1)
	got := runHTTP(t, `
local function show(r) print(r.status, r.reason, r.body) end
show(http.get('`+url+`'))
show(http.get('`+url+`', {ca_file = '`+ca+`'}))
show(http.get('`+url+`', {ca_path = '`+capath+`'}))
show(http.get('`+url+`', {verify_peer = false}))
show(http.get('`+byName+`', {ca_file = '`+ca+`'}))
show(http.get('`+byName+`', {ca_file = '`+ca+`', verify_host = false}))
show(http.get('`+byName+`', {verify_host = false}))
print(pcall(http.get, '`+url+`', {ca_file = '/nonexistent'}))
print(pcall(http.get, '`+url+`', {ssl_cert = '/nonexistent', ssl_key = '/nonexistent'}))
print(http.get('`+strings.Replace(url, "https", "http", 1)+`', {ssl_cert = '/nonexistent'}).status)
`)
	expectLines(t, got, `
495	SSL peer certificate or SSH remote key was not OK	nil
200	Ok	secret
200	Ok	secret
200	Ok	secret
495	SSL peer certificate or SSH remote key was not OK	nil
200	Ok	secret
495	SSL peer certificate or SSH remote key was not OK	nil
false	curl: Problem with the SSL CA cert (path? access rights?)
false	curl: Problem with the local SSL certificate
400`)
}

// TestHTTPClientProxy: requests go to the proxy with the absolute URL
// and the proxy's credentials, except for hosts no_proxy names.
func TestHTTPClientProxy(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "from origin")
	}))
	defer origin.Close()
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.RequestURI+" auth="+r.Header.Get("Proxy-Authorization"))
		io.WriteString(w, "from proxy")
	}))
	defer proxy.Close()
	host, port, _ := strings.Cut(strings.TrimPrefix(proxy.URL, "http://"), ":")
	got := runHTTP(t, `
local function show(r) print(r.status, r.body) end
show(http.get('http://example.invalid/x', {proxy = '`+proxy.URL+`'}))
show(http.get('http://example.invalid/y', {proxy = '`+host+`', proxy_port = `+port+`, proxy_user_pwd = 'user:pw'}))
show(http.get('`+origin.URL+`/z', {proxy = '`+proxy.URL+`', no_proxy = '127.0.0.1'}))
show(http.get('`+origin.URL+`/z', {proxy = '`+proxy.URL+`', no_proxy = '*'}))
show(http.get('`+origin.URL+`/z', {proxy = ''}))
show(http.get('http://example.invalid/', {proxy = 'http://127.0.0.1:1'}))
`)
	expectLines(t, got, `
200	from proxy
200	from proxy
200	from origin
200	from origin
200	from origin
595	nil`)
	want := []string{"GET http://example.invalid/x auth=", "GET http://example.invalid/y auth=Basic dXNlcjpwdw=="}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("the proxy saw %q, want %q", seen, want)
	}
}

// TestHTTPClientLowSpeed: a transfer slower than low_speed_limit for
// low_speed_time seconds ends with 408; the connections a client opens
// are counted; a keep-alive connection serves the next requests (the
// first without keep-alive closes it); verbose = true is refused.
func TestHTTPClientLowSpeed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.Header().Set("Content-Length", "100")
			for i := 0; i < 100; i++ {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
			return
		}
		io.WriteString(w, "fast")
	}))
	defer srv.Close()
	got := runHTTP(t, `
local c = http.new()
local t0 = os.time()
local r = c:get('`+srv.URL+`/slow', {low_speed_limit = 1000, low_speed_time = 1})
print(r.status, r.reason, os.time() - t0 < 10)
print(c:get('`+srv.URL+`/', {low_speed_limit = 1000, low_speed_time = 1}).body)
local k = http.new()
for i = 1, 3 do k:get('`+srv.URL+`/', {keepalive_idle = 10, keepalive_interval = 5}) end
for i = 1, 2 do k:get('`+srv.URL+`/') end
local st = k:stat()
print(st.total_requests, st.http_200_responses, st.sockets_added)
print(pcall(http.get, '`+srv.URL+`/', {verbose = true}))
print(http.get('`+srv.URL+`/', {verbose = false}).status)
`)
	expectLines(t, got, `
408	Timeout was reached	true
fast
5	5	2
false	builtin/http.client.lua:320: http.client: verbose = true is not supported
200`)
}

// FuzzHTTPRequestURL checks the hand-written parts of request URLs and
// proxy lists: a URL is accepted only with an http or https scheme and a
// host (a missing scheme being http), and "*" in no_proxy matches every
// host, an entry its own host (one that is a single entry).
func FuzzHTTPRequestURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/x?y=1", "example.com/path", "HTTPS://h/",
		"ftp://h/", "bad url", "", "http://", "http://[::1]:80/", "http://a\x00b/"} {
		f.Add(s, "*,example.com")
	}
	f.Fuzz(func(t *testing.T, raw, noProxy string) {
		u, err := parseRequestURL(raw)
		if err == nil {
			if u.Scheme != "http" && u.Scheme != "https" {
				t.Fatalf("%q: scheme %q accepted", raw, u.Scheme)
			}
			if u.Host == "" {
				t.Fatalf("%q: no host", raw)
			}
			h := u.Hostname()
			if !noProxyMatch("*", h) || h != "" && !strings.ContainsAny(h, ", \t") && !noProxyMatch(h, h) {
				t.Fatalf("%q: no_proxy does not match its own host", raw)
			}
			noProxyMatch(noProxy, u.Hostname())
		} else if _, ok := err.(*curlError); !ok {
			t.Fatalf("%q: error %T", raw, err)
		}
	})
}
