package proxy_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestUpstreamErrorsSayWhatHappened makes a request fail before the
// upstream's response headers in each way it can, with real peers, and
// checks that the client's error names what happened. It once said
// "unreachable" for all of them, even for an upstream that was reached.
func TestUpstreamErrorsSayWhatHappened(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + ln.Addr().String()
	ln.Close()
	tlsUp := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsUp.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake it fails is the point
	tlsUp.StartTLS()
	defer tlsUp.Close()
	// An upstream that wants a client certificate: its certificate is
	// trusted, so the handshake gets as far as the server's alert.
	mtlsUp := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	mtlsUp.Config.ErrorLog = log.New(io.Discard, "", 0)
	mtlsUp.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	mtlsUp.StartTLS()
	defer mtlsUp.Close()
	mtls12Up := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	mtls12Up.Config.ErrorLog = log.New(io.Discard, "", 0)
	mtls12Up.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, MaxVersion: tls.VersionTLS12}
	mtls12Up.StartTLS()
	defer mtls12Up.Close()
	trusting := func(up *httptest.Server) func(*proxy.Proxy) {
		return func(p *proxy.Proxy) {
			p.Transport.(*http.Transport).TLSClientConfig = up.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		}
	}
	withDial := func(d *net.Dialer) func(*proxy.Proxy) {
		return func(p *proxy.Proxy) { p.Transport.(*http.Transport).DialContext = d.DialContext }
	}
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server here")
	}}
	cases := []struct {
		name, upstream string
		configure      func(*proxy.Proxy)
		status         int
		want           string
	}{
		{"refused", closedPort, nil, 502, "refused the connection"},
		{"DNS", "http://mcp.example:80", withDial(&net.Dialer{Resolver: noDNS}), 502, "could not be resolved (DNS)"},
		{"connect timeout", closedPort, withDial(&net.Dialer{Deadline: time.Now().Add(-time.Second)}), 504, "did not accept the connection in time"},
		{"TLS", tlsUp.URL, nil, 502, "failed the TLS handshake"},
		{"TLS alert", mtlsUp.URL, trusting(mtlsUp), 502, "failed the TLS handshake"},
		{"TLS 1.2 alert", mtls12Up.URL, trusting(mtls12Up), 502, "failed the TLS handshake"},
		{"reset", rawServer(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) }), nil, 502, "reset the connection before answering"},
		{"closed", rawServer(t, func(net.Conn) {}), nil, 502, "closed the connection before answering"},
		{"malformed", rawServer(t, func(c net.Conn) { io.WriteString(c, "NOT HTTP AT ALL\r\n\r\n") }), nil, 502, "sent a malformed HTTP response"},
		// A TLS server given as http:// that answers with an alert record
		// (Go's answers a 400 in HTTP instead).
		{"TLS to http://", rawServer(t, func(c net.Conn) { io.WriteString(c, "\x15\x03\x01\x00\x02\x02\x46") }), nil, 502, "answered in TLS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := startProxy(t, c.upstream, c.configure)
			resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":"abc","method":"tools/list"}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			id, msg := rpcError(t, resp)
			if resp.StatusCode != c.status || string(id) != `"abc"` || !strings.Contains(msg, " "+c.want+": ") || strings.Contains(msg, "unreachable") {
				t.Errorf("got %d id %s %q; want %d for id \"abc\" saying %q", resp.StatusCode, id, msg, c.status, c.want)
			}
		})
	}
}
