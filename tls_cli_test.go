package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/tlstest"
)

// echoThrough connects a go-sdk client to mcpscope at addr and calls echo.
func echoThrough(t *testing.T, addr string) {
	t.Helper()
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "via tls"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "via tls" {
		t.Fatalf("echo through mcpscope: %+v, %v", res, err)
	}
	cs.Close()
}

// post502 posts an initialize to mcpscope at addr and returns the answer's
// body, failing t unless the status is 502.
func post502(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502: %s", resp.StatusCode, body)
	}
	return string(body)
}

// TestHTTPSUpstreamFlags runs mcpscope against an https upstream that
// offers HTTP/2, whose certificate a CA made in the test signed: with
// --ca-cert a go-sdk session works over HTTP/2 and nothing is warned;
// without it mcpscope warns at start naming the certificate problem and
// each request gets a 502 saying it (in the body and in the --headless
// output); an upstream requiring a client certificate works with
// --client-cert/--client-key and is named as wanting one without.
func TestHTTPSUpstreamFlags(t *testing.T) {
	pki := tlstest.New(t)
	up := mcptest.StartUpstreamTLS(t, mcpserver.Stateful, pki.ServerConfig(false), true)
	mtls := mcptest.StartUpstreamTLS(t, mcpserver.Stateful, pki.ServerConfig(true), true)

	t.Run("--ca-cert", func(t *testing.T) {
		addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--ca-cert", pki.CAFile}, `listening on http://(\S+)`)
		echoThrough(t, addrs[0])
		stop()
		for _, r := range up.Requests() {
			if r.Proto != 2 {
				t.Errorf("upstream got %s over HTTP/%d; it offers HTTP/2", r.Method, r.Proto)
			}
		}
	})
	t.Run("no --ca-cert", func(t *testing.T) {
		found, stdout := startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0"},
			`mcpscope: warning: (upstream \S+ failed the TLS handshake: its certificate is signed by an unknown authority: .*; pass its CA with --ca-cert FILE or, to test only, --insecure)`,
			`listening on http://(\S+)`)
		body := post502(t, found[1])
		for _, want := range []string{"its certificate is signed by an unknown authority", "x509: certificate signed by unknown authority", "--ca-cert FILE"} {
			if !strings.Contains(body, want) {
				t.Errorf("the 502 does not say %q: %s", want, body)
			}
		}
		waitForOutput(t, stdout, "its certificate is signed by an unknown authority")
	})
	t.Run("mTLS with --client-cert", func(t *testing.T) {
		addrs, _ := startCLIWaiting(t, []string{"-u", mtls.URL, "--headless", "-l", "127.0.0.1:0", "--ca-cert", pki.CAFile,
			"--client-cert", pki.ClientCertFile, "--client-key", pki.ClientKeyFile}, `listening on http://(\S+)`)
		echoThrough(t, addrs[0])
	})
	t.Run("mTLS without --client-cert", func(t *testing.T) {
		found, _ := startCLIWaiting(t, []string{"-u", mtls.URL, "--headless", "-l", "127.0.0.1:0", "--ca-cert", pki.CAFile},
			`mcpscope: warning: (upstream \S+ failed the TLS handshake: it requires a client certificate: .*--client-cert FILE --client-key FILE)`,
			`listening on http://(\S+)`)
		if body := post502(t, found[1]); !strings.Contains(body, "it requires a client certificate") {
			t.Errorf("the 502 does not name the missing client certificate: %s", body)
		}
	})
}

// waitForOutput waits (up to 10 s) until out holds want.
func waitForOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the output never said %q:\n%.3000s", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInsecureFlag runs mcpscope --insecure in a process of its own
// against an https upstream it has no CA for: the session works, stderr
// warns loudly at start, and the recording's header says so.
func TestInsecureFlag(t *testing.T) {
	pki := tlstest.New(t)
	up := mcptest.StartUpstreamTLS(t, mcpserver.Stateful, pki.ServerConfig(false), false)
	rec := filepath.Join(t.TempDir(), "s.jsonl")
	argv := mcpscopeCommand("-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--insecure", "--record", rec, "--hub", "off")
	cmd := exec.Command(argv[0], argv[1:]...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var said bytes.Buffer
	addr := ""
	lines := bufio.NewScanner(stderr)
	listening := regexp.MustCompile(`listening on http://(\S+)`)
	for addr == "" && lines.Scan() {
		said.WriteString(lines.Text() + "\n")
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("mcpscope never said where it listens; its stderr:\n%s", said.String())
	}
	go io.Copy(io.Discard, stderr)
	if !strings.Contains(said.String(), "warning: --insecure: the upstream's TLS certificate is NOT verified") {
		t.Errorf("no --insecure warning at start; stderr:\n%s", said.String())
	}
	if strings.Contains(said.String(), "failed the TLS handshake") {
		t.Errorf("a TLS problem was reported with --insecure:\n%s", said.String())
	}
	echoThrough(t, addr)
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("mcpscope exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("mcpscope did not exit after an interrupt")
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(data), "\n"); !strings.Contains(first, `"insecure_tls":true`) {
		t.Errorf("the recording's header does not say --insecure: %s", first)
	}
}

// TestTLSFlagErrors gives the TLS flags bad input: mcpscope refuses to
// start (status 2), naming the flag, the file and what is wrong.
func TestTLSFlagErrors(t *testing.T) {
	pki, other := tlstest.New(t), tlstest.New(t)
	notPEM := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--ca-cert", missing}, "--ca-cert: open " + missing},
		{[]string{"--ca-cert", notPEM}, "--ca-cert " + notPEM + ": no PEM certificate in it"},
		{[]string{"--client-cert", pki.ClientCertFile, "--client-key", other.ClientKeyFile}, "--client-key " + other.ClientKeyFile + " does not match --client-cert " + pki.ClientCertFile},
		{[]string{"--client-cert", pki.ClientCertFile}, "holds no private key: give it with --client-key FILE"},
		{[]string{"--client-key", pki.ClientKeyFile}, "--client-key needs --client-cert FILE"},
	}
	var help bytes.Buffer
	if status := run(context.Background(), []string{"--help"}, &help, io.Discard); status != 0 { // on stdout
		t.Errorf("--help: status %d", status)
	}
	for _, want := range []string{"--ca-cert ca.pem", "--client-cert me.pem --client-key me-key.pem", "/mcp --insecure", "--ca-cert stringArray", "--client-key string"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help does not show %q", want)
		}
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		args := append([]string{"-u", "https://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0"}, c.args...)
		status := run(context.Background(), args, &out, &errOut)
		if status != 2 || !strings.Contains(errOut.String(), c.want) || strings.Contains(errOut.String(), "listening") {
			t.Errorf("mcpscope %v: status %d, stderr %q; want 2 and %q before listening", c.args, status, errOut.String(), c.want)
		}
	}
}

// TestTLSFlagsWithoutHTTPSUpstream: TLS flags given for a cleartext
// upstream are said to have no effect, not silently ignored.
func TestTLSFlagsWithoutHTTPSUpstream(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--insecure"},
		`warning: (--ca-cert, --client-cert, --client-key and --insecure have no effect): no upstream is https://`, `listening on http://(\S+)`)
}
