package proxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// wire is how the proxy reaches an upstream: cleartext HTTP/1.1 (where
// GET streams use connections of their own, upstream_transport.go), TLS
// with HTTP/1.1, or TLS with HTTP/2 (both through the *http.Transport).
type wire struct {
	name    string
	tls, h2 bool
}

var wires = []wire{{"http", false, false}, {"https", true, false}, {"h2", true, true}}

// startUpstreamOver starts a loopback upstream serving h over w, closed at
// cleanup, and returns its URL and the proxy configuration that trusts
// it. A request that reaches h over another HTTP version than w's fails
// the test.
func startUpstreamOver(t testing.TB, h http.Handler, w wire) (string, func(*proxy.Proxy)) {
	t.Helper()
	want := 1
	if w.h2 {
		want = 2
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != want {
			t.Errorf("upstream got %s over %s, want HTTP/%d", r.Method, r.Proto, want)
		}
		h.ServeHTTP(rw, r)
	}))
	if !w.tls {
		s.Start()
		t.Cleanup(s.Close)
		return s.URL, nil
	}
	s.EnableHTTP2 = w.h2
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	return s.URL, func(p *proxy.Proxy) {
		p.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots}
	}
}
