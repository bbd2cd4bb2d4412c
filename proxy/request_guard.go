package proxy

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// checkHostAndOrigin answers 403 and returns false for a request that
// CheckHostAndOrigin refuses.
func (p *Proxy) checkHostAndOrigin(w http.ResponseWriter, r *http.Request) bool {
	if err := CheckHostAndOrigin(r, p.AllowedHosts, p.AllowedOrigins); err != nil {
		writeRPCError(w, http.StatusForbidden, "", "mcpscope: "+err.Error())
		return false
	}
	return true
}

// CheckHostAndOrigin refuses a request whose Host or Origin is neither
// loopback nor in the allowed lists: a web page the developer visits must
// not reach mcpscope (or, through it, the MCP server) by DNS rebinding or a
// cross-origin request. A request without an Origin header is not
// cross-origin. Every Origin the request carries is checked: one foreign
// origin refuses it. Origins come space-separated (the origin list of
// RFC 6454, section 7.1), in repeated fields, or comma-separated where a
// proxy combined repeated fields into one (RFC 9110, section 5.3). (net/http
// itself refuses a second Host.) The control API uses the same rule.
func CheckHostAndOrigin(r *http.Request, allowedHosts, allowedOrigins []string) error {
	if !hostAllowed(r.Host, allowedHosts) {
		return errors.New("refused request for foreign Host " + quoteForMessage(r.Host) + " (allow it with --allow-host)")
	}
	for _, value := range r.Header.Values("Origin") {
		for _, origin := range strings.FieldsFunc(value, func(c rune) bool { return c == ' ' || c == ',' || c == '\t' }) {
			if !originAllowed(origin, allowedOrigins) {
				return errors.New("refused request from foreign Origin " + quoteForMessage(origin) + " (allow it with --allow-origin)")
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

// quoteForMessage quotes untrusted text for an error message, escaping
// control characters and bounding its length.
func quoteForMessage(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
