package proxy_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/tlstest"
	"github.com/mcpscope/mcpscope/proxy"
)

// withUpstreamTLS configures the proxy's transport as the CLI does from
// --ca-cert, --client-cert, --client-key and --insecure.
func withUpstreamTLS(t *testing.T, c proxy.UpstreamTLS) func(*proxy.Proxy) {
	t.Helper()
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	return func(p *proxy.Proxy) { p.Transport.(*http.Transport).TLSClientConfig = cfg }
}

// TestHTTPSUpstream runs go-sdk sessions (Streamable HTTP with its GET
// stream, and the legacy HTTP+SSE transport) through mcpscope to an https
// upstream whose certificate a CA made in the test signed, trusted with
// --ca-cert (the CA added to the system's roots) or not verified at all
// (--insecure), over HTTP/1.1 and, where the upstream offers it, HTTP/2:
// tools, progress and the GET stream work, every request reaches the
// upstream once, and over HTTP/2 the upstream saw HTTP/2.
func TestHTTPSUpstream(t *testing.T) {
	pki := tlstest.New(t)
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.LegacySSE} {
		for _, h2 := range []bool{false, true} {
			for _, mode := range []string{"ca-cert", "insecure"} {
				name := string(kind) + "/http1/" + mode
				if h2 {
					name = string(kind) + "/h2/" + mode
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					up := mcptest.StartUpstreamTLS(t, kind, pki.ServerConfig(false), h2)
					c := proxy.UpstreamTLS{CAFiles: []string{pki.CAFile}}
					if mode == "insecure" {
						c = proxy.UpstreamTLS{Insecure: true}
					}
					hs := startProxy(t, up.URL, withUpstreamTLS(t, c))
					cs, rec := mcptest.Connect(t, t.Context(), kind, hs.URL+kind.Path(), mcptest.ClientOptions{})
					p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}}
					p.SetProgressToken("tok")
					if got := call(t, cs, p); got == "" {
						t.Error("progress returned nothing")
					}
					if _, err := rec.WaitProgress(3, timeout); err != nil {
						t.Error(err)
					}
					if got := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "over tls"}}); got != "over tls" {
						t.Errorf("echo = %q", got)
					}
					cs.Close()
					if dups := up.Duplicates(); len(dups) > 0 {
						t.Errorf("requests seen more than once upstream: %v", dups)
					}
					want := 1
					if h2 {
						want = 2
					}
					gets := 0
					for _, r := range up.Requests() {
						if r.Proto != want {
							t.Errorf("upstream got %s over HTTP/%d, want HTTP/%d", r.Method, r.Proto, want)
						}
						if r.Method == http.MethodGet {
							gets++
						}
					}
					if gets == 0 {
						t.Error("no GET stream reached the upstream")
					}
				})
			}
		}
	}
}

// TestHTTPSUpstreamCertificateProblems makes the handshake with an https
// upstream fail in the ways a user meets: a CA not trusted (no --ca-cert),
// a client certificate required (mutual TLS) and none given, one given
// that the upstream does not trust, a plain HTTP server given as https://.
// A go-sdk client through mcpscope must get an error naming the problem
// and what to do, the 502 carries it, the bus's http observation too, and
// ProbeTLS finds the same at start. With the right flags the same upstream
// works (TestHTTPSUpstream, and the mTLS case here).
func TestHTTPSUpstreamCertificateProblems(t *testing.T) {
	pki, other := tlstest.New(t), tlstest.New(t)
	plain := mcptest.StartUpstream(t, mcpserver.Stateful)
	cases := []struct {
		name     string
		mtls     bool
		upstream string // default: a TLS upstream
		tls      proxy.UpstreamTLS
		want     []string // "" for a working upstream
	}{
		{name: "no --ca-cert", want: []string{"failed the TLS handshake: its certificate is signed by an unknown authority: ",
			"x509: certificate signed by unknown authority", "; pass its CA with --ca-cert FILE or, to test only, --insecure"}},
		{name: "another CA", tls: proxy.UpstreamTLS{CAFiles: []string{other.CAFile}}, want: []string{"signed by an unknown authority"}},
		{name: "mTLS, no client certificate", mtls: true, tls: proxy.UpstreamTLS{CAFiles: []string{pki.CAFile}},
			want: []string{"failed the TLS handshake: it requires a client certificate: ", "; give one with --client-cert FILE --client-key FILE"}},
		{name: "mTLS, a certificate it does not trust", mtls: true,
			tls:  proxy.UpstreamTLS{CAFiles: []string{pki.CAFile}, CertFile: other.ClientCertFile, KeyFile: other.ClientKeyFile},
			want: []string{"failed the TLS handshake: it did not accept a client certificate (unknown certificate authority)", "--client-cert FILE"}},
		{name: "mTLS with --client-cert", mtls: true,
			tls: proxy.UpstreamTLS{CAFiles: []string{pki.CAFile}, CertFile: pki.ClientCertFile, KeyFile: pki.ClientKeyFile}},
		{name: "plain HTTP as https://", upstream: strings.Replace(plain.URL, "http://", "https://", 1),
			want: []string{"failed the TLS handshake: it does not speak TLS: ", "; is it an http:// server?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			upstream := c.upstream
			if upstream == "" {
				upstream = mcptest.StartUpstreamTLS(t, mcpserver.Stateful, pki.ServerConfig(c.mtls), true).URL
			}
			hs := startProxy(t, upstream, withUpstreamTLS(t, c.tls))
			probed := hs.Proxy.ProbeTLS(t.Context())
			if c.want == nil {
				if len(probed) > 0 {
					t.Errorf("ProbeTLS: %v", probed)
				}
				cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{})
				if got := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "mtls"}}); got != "mtls" {
					t.Errorf("echo = %q", got)
				}
				return
			}
			// The go-sdk client says only the status; the body says why.
			client := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil)
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", HTTPClient: hs.Client}, nil)
			if err == nil {
				cs.Close()
				t.Fatal("the client connected")
			}
			if !strings.Contains(err.Error(), "Bad Gateway") {
				t.Errorf("the go-sdk client's error is %v, want Bad Gateway", err)
			}
			resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}`))
			if err != nil {
				t.Fatal(err)
			}
			id, msg := rpcError(t, resp)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || string(id) != "7" {
				t.Errorf("got %d for id %s, want 502 for id 7", resp.StatusCode, id)
			}
			t.Logf("the 502 says: %s", msg)
			containsAll(t, "the 502's error", msg, c.want)
			seen := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeHTTP && o.HTTP.Error != "" })
			if len(seen) == 0 {
				t.Fatal("no http observation with an error on the bus")
			}
			if seen[0].HTTP.Status != http.StatusBadGateway {
				t.Errorf("the bus says status %d, want 502", seen[0].HTTP.Status)
			}
			containsAll(t, "the bus's http error", seen[0].HTTP.Error, c.want)
			if len(probed) != 1 {
				t.Fatalf("ProbeTLS found %d problems, want 1: %v", len(probed), probed)
			}
			containsAll(t, "ProbeTLS", probed[0].Error(), c.want)
		})
	}
}

func containsAll(t *testing.T, what, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not say %q: %s", what, w, got)
		}
	}
}

// TestProbeTLSSaysNothingOfWhatIsNotTLS: ProbeTLS reports handshakes that
// fail, not an https upstream that is not up yet (it may start later: the
// request's 502 will say it refused) nor a cleartext one, and it sends
// the upstream no HTTP request.
func TestProbeTLSSaysNothingOfWhatIsNotTLS(t *testing.T) {
	pki := tlstest.New(t)
	up := mcptest.StartUpstreamTLS(t, mcpserver.Stateful, pki.ServerConfig(false), true)
	plain := mcptest.StartUpstream(t, mcpserver.Stateful)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String() + "/mcp"
	ln.Close()
	hs := startProxy(t, closed, func(p *proxy.Proxy) {
		withUpstreamTLS(t, proxy.UpstreamTLS{CAFiles: []string{pki.CAFile}})(p)
		for _, raw := range []string{plain.URL, up.URL} {
			u, _ := url.Parse(raw)
			p.Fallbacks = append(p.Fallbacks, u)
		}
	})
	if errs := hs.Proxy.ProbeTLS(t.Context()); len(errs) != 0 {
		t.Errorf("ProbeTLS: %v", errs)
	}
	if n := len(up.Requests()) + len(plain.Requests()); n != 0 {
		t.Errorf("the probe sent %d HTTP requests", n)
	}
}
