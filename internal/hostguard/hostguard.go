// Package hostguard refuses HTTP requests that a web page could have made:
// a foreign Host (DNS rebinding) or a foreign Origin (a cross-origin
// request). Everything mcpscope serves over HTTP (the proxy, the control
// API, the replay server) checks each request with Check first.
package hostguard

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Check refuses a request whose Host or Origin is neither loopback nor in
// the allowed lists: a web page the developer visits must not reach
// mcpscope (or, through it, the MCP server) by DNS rebinding or a
// cross-origin request. A request without an Origin header is not
// cross-origin. Every Origin the request carries is checked: one foreign
// origin refuses it. Origins come space-separated (the origin list of
// RFC 6454, section 7.1), in repeated fields, or comma-separated where a
// proxy combined repeated fields into one (RFC 9110, section 5.3). (net/http
// itself refuses a second Host.)
//
// An allowed host is "*", a host name or address (any port), or host:port;
// an allowed origin is "*" or an origin (scheme://host[:port]). The error
// says which header was refused and the flag that allows it.
func Check(r *http.Request, allowedHosts, allowedOrigins []string) error {
	if !hostAllowed(r.Host, allowedHosts) {
		return errors.New("refused request for foreign Host " + quote(r.Host) + " (allow it with --allow-host)")
	}
	for _, value := range r.Header.Values("Origin") {
		for _, origin := range strings.FieldsFunc(value, func(c rune) bool { return c == ' ' || c == ',' || c == '\t' }) {
			if !originAllowed(origin, allowedOrigins) {
				return errors.New("refused request from foreign Origin " + quote(origin) + " (allow it with --allow-origin)")
			}
		}
	}
	return nil
}

func hostAllowed(hostport string, allowed []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if isLoopbackName(host) {
		return true
	}
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(a, hostport) || strings.EqualFold(strings.Trim(a, "[]"), host) {
			return true
		}
	}
	return false
}

func originAllowed(origin string, allowed []string) bool {
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return isLoopbackName(u.Hostname())
}

// isLoopbackName reports whether host (without port or brackets) names the
// loopback interface.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// quote quotes untrusted text for an error message, escaping control
// characters and bounding its length.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
