package proxy

import (
	"net/url"
	"testing"
)

// TestHostPort: the address dialled for an upstream (the failover's check
// whether it still accepts connections, GET streams on connections of
// their own) defaults the port to the scheme's: an https upstream without
// a port is on 443, not an address without a port that never dials.
func TestHostPort(t *testing.T) {
	for raw, want := range map[string]string{
		"http://mcp.example/mcp":       "mcp.example:80",
		"https://mcp.example/mcp":      "mcp.example:443",
		"https://mcp.example:8443/mcp": "mcp.example:8443",
		"http://[::1]/mcp":             "[::1]:80",
		"https://[::1]/mcp":            "[::1]:443",
	} {
		u, _ := url.Parse(raw)
		if got := hostPort(u); got != want {
			t.Errorf("hostPort(%s) = %s, want %s", raw, got, want)
		}
	}
}
