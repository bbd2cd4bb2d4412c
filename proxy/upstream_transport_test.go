package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// getStream opens a GET stream through hs (without a session: the legacy
// transport's /sse; a session's standalone stream goes the same way).
func getStream(t *testing.T, hs *harness) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestGETStreamErrorsSayWhatHappened: a GET stream goes upstream on a
// connection of its own (upstream_transport.go), not through http.Transport;
// each way its request can fail before the response headers still
// reaches the client as the error that names it, as for any request.
func TestGETStreamErrorsSayWhatHappened(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + ln.Addr().String()
	ln.Close()
	hugeHeader := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"
	cases := []struct {
		name, upstream string
		status         int
		want           string
	}{
		{"refused", closedPort, 502, "refused the connection"},
		{"reset", rawServer(t, func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) }), 502, "reset the connection before answering"},
		{"closed", rawServer(t, func(net.Conn) {}), 502, "closed the connection before answering"},
		{"malformed", rawServer(t, func(c net.Conn) { io.WriteString(c, "NOT HTTP AT ALL\r\n\r\n") }), 502, "sent a malformed HTTP response"},
		{"no headers in time", rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) }), 504, "sent no response headers in time"},
		{"headers too large", rawServer(t, func(c net.Conn) { io.WriteString(c, hugeHeader) }), 502, "sent response headers larger than 4096 bytes"},
		{"endless 1xx", rawServer(t, func(c net.Conn) {
			io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 10))
		}), 502, "sent a malformed HTTP response"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := startProxy(t, c.upstream, func(p *proxy.Proxy) {
				tr := p.Transport.(*http.Transport)
				tr.ResponseHeaderTimeout = 300 * time.Millisecond
				tr.MaxResponseHeaderBytes = 4096
			})
			resp := getStream(t, hs)
			id, msg := rpcError(t, resp)
			if resp.StatusCode != c.status || string(id) != "null" || !strings.Contains(msg, " "+c.want) {
				t.Errorf("got %d id %s %q; want %d saying %q", resp.StatusCode, id, msg, c.status, c.want)
			}
		})
	}
}

// TestGETStreamSkipsInformationalAnswers: 1xx answers before a stream's
// headers are skipped, as http.Transport skips them, and the stream's
// events reach the client.
func TestGETStreamSkipsInformationalAnswers(t *testing.T) {
	up := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"+
			"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"+chunk(twoEvents)+"0\r\n\r\n")
	})
	hs := startProxy(t, up, nil)
	resp := getStream(t, hs)
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil || string(body) != twoEvents {
		t.Errorf("got %d %q (%v), want 200 and the two events", resp.StatusCode, body, err)
	}
}

// TestGETStreamClosesItsUpstreamConnection: when a GET stream's client
// leaves, the stream's own upstream connection closes: the upstream sees
// the end of the request, as through http.Transport.
func TestGETStreamClosesItsUpstreamConnection(t *testing.T) {
	ended := make(chan error, 1)
	up := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"+chunk(twoEvents))
		_, err := c.Read(make([]byte, 1))
		ended <- err
	})
	hs := startProxy(t, up, nil)
	resp := getStream(t, hs)
	if _, err := io.ReadFull(resp.Body, make([]byte, len(twoEvents))); err != nil {
		t.Fatalf("reading the events: %v", err)
	}
	resp.Body.Close()
	hs.Client.CloseIdleConnections()
	select {
	case err := <-ended:
		if err != io.EOF {
			t.Errorf("the upstream's connection ended with %v, want EOF (the proxy closed it)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream connection stayed open 10 s after the client left")
	}
}

// TestGETStreamThroughAProxyUsesTheTransport: where the transport sends
// requests through an HTTP proxy, a GET stream goes there too: its own
// connection is only for upstreams reached directly.
func TestGETStreamThroughAProxyUsesTheTransport(t *testing.T) {
	requestLine := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		requestLine <- strings.TrimSpace(line)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 0\r\n\r\n")
	}()
	proxyURL := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	hs := startProxy(t, "http://mcp.example:8080", func(p *proxy.Proxy) {
		p.Transport.(*http.Transport).Proxy = http.ProxyURL(proxyURL)
	})
	resp := getStream(t, hs)
	io.Copy(io.Discard, resp.Body)
	select {
	case line := <-requestLine:
		if line != "GET http://mcp.example:8080/mcp HTTP/1.1" {
			t.Errorf("the HTTP proxy got %q, want the absolute-form GET of the upstream", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the GET stream never reached the configured HTTP proxy")
	}
}
