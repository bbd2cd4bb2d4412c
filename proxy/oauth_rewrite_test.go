package proxy

import (
	"net/url"
	"testing"
)

func TestRewriteChallenge(t *testing.T) {
	up, _ := url.Parse("http://up.test:8080/mcp")
	const to = "http://127.0.0.1:7331"
	cases := []struct {
		name, in, out, before, after string
	}{
		{"quoted, with scope",
			`Bearer resource_metadata="http://up.test:8080/.well-known/oauth-protected-resource/mcp", scope="a b"`,
			`Bearer resource_metadata="http://127.0.0.1:7331/.well-known/oauth-protected-resource/mcp", scope="a b"`,
			"http://up.test:8080/.well-known/oauth-protected-resource/mcp", "http://127.0.0.1:7331/.well-known/oauth-protected-resource/mcp"},
		{"token form", `Bearer resource_metadata=http://up.test:8080/m`, `Bearer resource_metadata=http://127.0.0.1:7331/m`,
			"http://up.test:8080/m", "http://127.0.0.1:7331/m"},
		{"name in any case, spaces around =, host in capitals",
			`Bearer error="insufficient_scope", RESOURCE_METADATA = "HTTP://UP.TEST:8080/m?x=1"`,
			`Bearer error="insufficient_scope", RESOURCE_METADATA = "http://127.0.0.1:7331/m?x=1"`,
			"HTTP://UP.TEST:8080/m?x=1", "http://127.0.0.1:7331/m?x=1"},
		{"inside a quoted string is not a parameter",
			`Bearer realm="resource_metadata=http://up.test:8080/m"`, `Bearer realm="resource_metadata=http://up.test:8080/m"`, "", ""},
		{"the tail of another name is not it",
			`Bearer xresource_metadata="http://up.test:8080/m"`, `Bearer xresource_metadata="http://up.test:8080/m"`, "", ""},
		{"another origin is left alone",
			`Bearer resource_metadata="https://meta.example/prm"`, `Bearer resource_metadata="https://meta.example/prm"`, "https://meta.example/prm", ""},
		{"another port is another origin",
			`Bearer resource_metadata="http://up.test:9090/m"`, `Bearer resource_metadata="http://up.test:9090/m"`, "http://up.test:9090/m", ""},
		{"second challenge",
			`Basic realm="x, y", Bearer resource_metadata="http://up.test:8080/m"`,
			`Basic realm="x, y", Bearer resource_metadata="http://127.0.0.1:7331/m"`, "http://up.test:8080/m", "http://127.0.0.1:7331/m"},
		{"a backslash escape is not spliced",
			`Bearer resource_metadata="http://up.test:8080/\m"`, `Bearer resource_metadata="http://up.test:8080/\m"`, "", ""},
		{"unterminated quote", `Bearer resource_metadata="http://up.test:8080/m`, `Bearer resource_metadata="http://up.test:8080/m`, "", ""},
		{"user info is not the upstream", `Bearer resource_metadata="http://u:p@up.test:8080/m"`, `Bearer resource_metadata="http://u:p@up.test:8080/m"`, "http://u:p@up.test:8080/m", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, before, after := rewriteChallenge(c.in, up, to)
			if out != c.out || before != c.before || after != c.after {
				t.Errorf("rewriteChallenge(%s)\n = %s, %q, %q\nwant %s, %q, %q", c.in, out, before, after, c.out, c.before, c.after)
			}
		})
	}
}

func TestToProxyURLDefaultPort(t *testing.T) {
	up, _ := url.Parse("https://up.test")
	for raw, want := range map[string]string{
		"https://up.test:443/mcp": "http://[::1]:7/mcp",
		"https://UP.test":         "http://[::1]:7",
		"https://up.test/":        "http://[::1]:7/",
		"http://up.test/mcp":      "", // another scheme
		"/mcp":                    "", // not absolute
	} {
		got, ok := toProxyURL(raw, up, "http://[::1]:7")
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("toProxyURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func FuzzResourceMetadataParams(f *testing.F) {
	f.Add(`Bearer resource_metadata="http://a/b", scope="x"`)
	f.Add(`Bearer resource_metadata=x,resource_metadata="`)
	f.Fuzz(func(t *testing.T, v string) {
		last := -1
		for _, s := range resourceMetadataParams(v) {
			if s.start <= last || s.start > s.end || s.end > len(v) {
				t.Fatalf("span %v out of order or range in %q", s, v)
			}
			last = s.end
		}
	})
}

func TestBearerChallenge(t *testing.T) {
	for v, want := range map[string]bool{
		`Bearer`:                             true,
		`bearer realm="x"`:                   true,
		`Basic realm="x", Bearer scope="a"`:  true,
		`Basic realm="bearer"`:               false,
		`Basic realm=" bearer "`:             false,
		`Basic realm="x"`:                    false,
		`Bearerish x=1`:                      false,
		`DPoP resource_metadata="http://a/"`: true,
	} {
		if got := bearerChallenge([]string{v}); got != want {
			t.Errorf("bearerChallenge(%s) = %v, want %v", v, got, want)
		}
	}
}
