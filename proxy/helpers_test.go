package proxy_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"mcpscope/proxy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is a proxy in front of an upstream, both on loopback, with a
// client whose connections are closed when the test ends.
type harness struct {
	Proxy    *proxy.Proxy
	URL      string // the proxy's base URL
	Client   *http.Client
	Upstream *httptest.Server
}

// startProxy starts a proxy for upstream (a base URL) and registers its
// cleanup. configure, if not nil, adjusts the proxy before it serves.
func startProxy(t testing.TB, upstream string, configure func(*proxy.Proxy)) *harness {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(u)
	tr := proxy.NewTransport(10 * time.Second)
	p.Transport = tr
	if configure != nil {
		configure(p)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})
	return &harness{Proxy: p, URL: "http://" + ln.Addr().String(), Client: client}
}

// startUpstream starts a loopback upstream serving h, closed at cleanup
// (registered before the proxy's, so it runs after it).
func startUpstream(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// through starts an upstream serving h and a proxy in front of it.
func through(t testing.TB, h http.Handler, configure func(*proxy.Proxy)) *harness {
	t.Helper()
	up := startUpstream(t, h)
	hs := startProxy(t, up.URL, configure)
	hs.Upstream = up
	return hs
}
