package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// tlsProbeRead is how long ProbeTLS waits after the handshake for an alert:
// under TLS 1.3 a server rejects the client's certificate (or its absence)
// only after the client has finished its half of the handshake.
const tlsProbeRead = 500 * time.Millisecond

// ProbeTLS shakes hands with every https:// upstream, as the transport
// would, and returns one error per upstream whose handshake fails, worded
// as the 502 a request would get ("upstream HOST failed the TLS handshake:
// its certificate is signed by an unknown authority: ...; pass its CA with
// --ca-cert FILE ..."). It sends no HTTP request. An upstream that cannot be
// connected to is not an error here (it may start later); nor is one the
// transport is not an *http.Transport for. It blocks until every probe is
// done or ctx ends.
func (p *Proxy) ProbeTLS(ctx context.Context) []error {
	ht, ok := p.Transport.(*http.Transport)
	if p.Transport == nil {
		ht, ok = defaultTransport, true
	}
	if !ok {
		return nil
	}
	var errs []error
	for _, u := range p.upstreams() {
		if u.Scheme != "https" {
			continue
		}
		if err := probeTLS(ctx, ht, hostPort(u), u.Hostname()); err != nil {
			_, what := upstreamFailure(err)
			errs = append(errs, errors.New("upstream "+u.Host+" "+what+": "+err.Error()+upstreamAdvice(err)))
		}
	}
	return errs
}

// probeTLS dials addr with t's dialer and shakes hands with t's TLS
// configuration; it returns a TLS error, or nil.
func probeTLS(ctx context.Context, t *http.Transport, addr, serverName string) error {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil // not a TLS problem
	}
	defer conn.Close()
	cfg := &tls.Config{}
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	cfg.NextProtos = []string{"h2", "http/1.1"}
	tc := tls.Client(conn, cfg)
	timeout := t.TLSHandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		if isTLSError(err) {
			return err
		}
		return nil
	}
	// A server that speaks first over HTTP/2 sends its SETTINGS; one that
	// rejects the client's certificate sends an alert; else the read times out.
	tc.SetReadDeadline(time.Now().Add(tlsProbeRead))
	var b [1]byte
	if _, err := tc.Read(b[:]); err != nil && isTLSError(err) {
		return err
	}
	return nil
}
