package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestForeignHostAndOrigin checks the DNS-rebinding guard.
func TestForeignHostAndOrigin(t *testing.T) {
	reached := 0
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }), nil)
	cases := []struct {
		name, host, origin string
		want               int
	}{
		{"loopback", "", "", http.StatusOK},
		{"localhost host", "localhost:1234", "", http.StatusOK},
		{"loopback origin", "", "http://localhost:5173", http.StatusOK},
		{"foreign host", "evil.example:80", "", http.StatusForbidden},
		{"foreign origin", "", "https://evil.example", http.StatusForbidden},
		{"null origin", "", "null", http.StatusForbidden},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(`{}`))
		if c.host != "" {
			req.Host = c.host
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	if reached != 3 {
		t.Errorf("upstream reached %d times, want 3 (refused requests must not reach it)", reached)
	}
	hs.Proxy.AllowedHosts = []string{"evil.example"}
	req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(`{}`))
	req.Host = "evil.example:80"
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("allowed host refused: %d", resp.StatusCode)
	}
}

// TestEveryOriginIsChecked sends raw requests whose Origin is given twice,
// or as a list (space-separated, or comma-separated as repeated fields
// combined), with a foreign origin after a loopback one: the guard must
// refuse them (it once read only the first value), and must not refuse
// two loopback origins.
func TestEveryOriginIsChecked(t *testing.T) {
	var reached atomic.Int32
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }), nil)
	addr := strings.TrimPrefix(hs.URL, "http://")
	cases := []struct {
		name, origins string
		want          int
	}{
		{"second header foreign", "Origin: http://localhost:5173\r\nOrigin: https://evil.example\r\n", http.StatusForbidden},
		{"list with a foreign origin", "Origin: http://localhost:5173 https://evil.example\r\n", http.StatusForbidden},
		{"combined fields with a foreign origin", "Origin: http://localhost:5173, https://evil.example\r\n", http.StatusForbidden},
		{"two loopback headers", "Origin: http://localhost:5173\r\nOrigin: http://127.0.0.1:5173\r\n", http.StatusOK},
		{"combined loopback fields", "Origin: http://localhost:5173,http://127.0.0.1:5173\r\n", http.StatusOK},
	}
	for _, c := range cases {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "POST /mcp HTTP/1.1\r\nHost: "+addr+"\r\n"+c.origins+
			"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	if n := reached.Load(); n != 2 {
		t.Errorf("upstream reached %d times, want 2 (refused requests must not reach it)", n)
	}
}
