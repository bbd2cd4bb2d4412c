package hostguard

import (
	"net/http"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name           string
		host           string
		origins        []string // one Origin field each
		hosts, allowed []string // allowed hosts and origins
		refused        string   // what the error names; empty: allowed
	}{
		{name: "loopback address", host: "127.0.0.1:8080"},
		{name: "loopback IPv6", host: "[::1]:8080"},
		{name: "localhost", host: "localhost:1234"},
		{name: "a .localhost name", host: "app.localhost"},
		{name: "LOCALHOST in capitals", host: "LOCALHOST"},
		{name: "foreign host", host: "evil.example:80", refused: `Host "evil.example:80"`},
		{name: "a name that only starts as localhost", host: "localhost.evil.example", refused: "Host"},
		{name: "allowed host, any port", host: "box.lan:9000", hosts: []string{"box.lan"}},
		{name: "allowed host:port", host: "box.lan:9000", hosts: []string{"box.lan:9000"}},
		{name: "allowed host, other port", host: "box.lan:9001", hosts: []string{"box.lan:9000"}, refused: "Host"},
		{name: "allowed IPv6 in brackets", host: "[fd00::1]:80", hosts: []string{"[fd00::1]"}},
		{name: "every host", host: "evil.example", hosts: []string{"*"}},
		{name: "loopback origin", host: "localhost", origins: []string{"http://localhost:5173"}},
		{name: "https loopback origin", host: "localhost", origins: []string{"https://127.0.0.1"}},
		{name: "foreign origin", host: "localhost", origins: []string{"https://evil.example"}, refused: `Origin "https://evil.example"`},
		{name: "null origin", host: "localhost", origins: []string{"null"}, refused: `Origin "null"`},
		{name: "loopback origin of another scheme", host: "localhost", origins: []string{"file://localhost"}, refused: "Origin"},
		{name: "allowed origin, trailing slash in the list", host: "localhost", origins: []string{"https://app.example"}, allowed: []string{"https://APP.example/"}},
		{name: "every origin", host: "localhost", origins: []string{"https://evil.example"}, allowed: []string{"*"}},
		{name: "second field foreign", host: "localhost", origins: []string{"http://localhost", "https://evil.example"}, refused: "evil"},
		{name: "space-separated list", host: "localhost", origins: []string{"http://localhost https://evil.example"}, refused: "evil"},
		{name: "comma-combined fields", host: "localhost", origins: []string{"http://localhost,https://evil.example"}, refused: "evil"},
		{name: "two loopback origins", host: "localhost", origins: []string{"http://localhost, http://127.0.0.1:1"}},
		{name: "control characters are escaped", host: "evil\x1b[2J", refused: `"evil\x1b[2J"`},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("POST", "http://localhost/mcp", nil)
		r.Host = c.host
		for _, o := range c.origins {
			r.Header.Add("Origin", o)
		}
		err := Check(r, c.hosts, c.allowed)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.refused != "" && err == nil:
			t.Errorf("%s: allowed, want it refused", c.name)
		case c.refused != "" && !strings.Contains(err.Error(), c.refused):
			t.Errorf("%s: %q does not name %s", c.name, err, c.refused)
		}
	}
}

func TestQuoteBoundsTheText(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://localhost/", nil)
	r.Host = strings.Repeat("a", 10000)
	err := Check(r, nil, nil)
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("a 10,000-byte Host gives %d bytes of error, want it bounded", len(err.Error()))
	}
}
