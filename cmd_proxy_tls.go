package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// tlsProbeTimeout bounds the start-up TLS probe of the https:// upstreams.
const tlsProbeTimeout = 3 * time.Second

// insecureWarning is said on stderr at start with --insecure.
const insecureWarning = "mcpscope: warning: --insecure: the upstream's TLS certificate is NOT verified: anyone on the path can read and change the traffic; to test only\n"

// checkUpstreamTLS says on stderr, before the proxy announces itself, what
// is wrong or unsafe about its https:// upstreams: --insecure; TLS flags
// with no https:// upstream to apply to; a handshake that fails (probed
// now, worded as the 502 each request will get meanwhile, and published on
// the bus as a notice for the UI and the recording). Nothing here stops
// the proxy: the upstream may start, or its certificate be fixed, later.
func checkUpstreamTLS(ctx context.Context, o *options, p *proxy.Proxy, stderr io.Writer) {
	t := o.upstreamTLS
	if o.bridge != nil || o.hubOnly {
		return
	}
	https := false
	for _, u := range append([]*url.URL{p.Upstream}, p.Fallbacks...) {
		https = https || u.Scheme == "https"
	}
	if !https {
		if len(t.CAFiles) > 0 || t.CertFile != "" || t.KeyFile != "" || t.Insecure {
			fmt.Fprintln(stderr, "mcpscope: warning: --ca-cert, --client-cert, --client-key and --insecure have no effect: no upstream is https://")
		}
		return
	}
	if t.Insecure {
		fmt.Fprint(stderr, insecureWarning)
	}
	probeCtx, cancel := context.WithTimeout(ctx, tlsProbeTimeout)
	defer cancel()
	for _, err := range p.ProbeTLS(probeCtx) {
		msg := err.Error() + " (every request will get a 502 saying so until this is fixed)"
		fmt.Fprintf(stderr, "mcpscope: warning: %s\n", o.redactor().Text(msg))
		p.Notice(msg)
	}
}
