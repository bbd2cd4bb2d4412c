package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
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
	ht := p.httpTransport()
	if ht == nil {
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
	deadline := time.Now().Add(tlsProbeRead)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tc.SetReadDeadline(deadline)
	var b [1]byte
	if _, err := tc.Read(b[:]); err != nil && isTLSError(err) {
		return err
	}
	return nil
}

// httpTransport is the *http.Transport requests go through, or nil.
func (p *Proxy) httpTransport() *http.Transport {
	if p.Transport == nil {
		return defaultTransport
	}
	ht, _ := p.Transport.(*http.Transport)
	return ht
}

// diagnoseTLS returns err, the failure of a request to the https upstream
// u, or the TLS error behind it. A server that refuses the client's
// certificate under TLS 1.3 does so after the client's handshake is done,
// as the request goes out: the transport then often sees the connection
// break (a write on a closed connection, a reset) before it reads the
// server's alert. For such a failure a fresh handshake is made (no request
// is sent: the upstream still gets each request at most once), and its
// TLS error, if any, is what is reported, the request's own following.
func (p *Proxy) diagnoseTLS(ctx context.Context, u *url.URL, err error) error {
	if u.Scheme != "https" || isTLSError(err) || !connectionBroke(err) {
		return err
	}
	ht := p.httpTransport()
	if ht == nil {
		return err
	}
	if terr := probeTLS(ctx, ht, hostPort(u), u.Hostname()); terr != nil {
		return fmt.Errorf("%w (the request's connection: %v)", terr, err)
	}
	return err
}

// connectionBroke reports whether err is a connection that broke after
// it was made: closed, reset, or written to after the peer closed it; or,
// over HTTP/2, lost before or after it was set up (net/http's errors are
// not exported: their text is what can be matched).
func connectionBroke(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || closedIdle(err) ||
		strings.Contains(err.Error(), "http2: client conn could not be established") ||
		strings.Contains(err.Error(), "http2: client connection lost")
}
