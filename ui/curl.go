package ui

import (
	"encoding/base64"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// Copy as curl (key C): the request of the selected row's HTTP exchange as
// a curl command line, to the upstream as mcpscope sent it (its URL, its
// headers, the upstream's session id), credentials replaced by shell
// variables ($TOKEN for Authorization's credentials; the header's name in
// capitals for others the recordings redact: X-Api-Key → $X_API_KEY). It
// goes to the clipboard by OSC 52 (terminals that allow it) and to a file
// whose path the status line shows.

// skippedCurlHeaders are not copied: curl sets them, or they describe the
// connection, not the request.
var skippedCurlHeaders = map[string]bool{"Content-Length": true, "Host": true, "Accept-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Transfer-Encoding": true, "Upgrade": true, "Proxy-Connection": true}

// CurlCommand returns a POSIX shell command line that sends h's request
// with body (none when empty), and the shell variables it expects set.
// bodyFile, when not "", is a file holding the body, sent instead of an
// inline body (for a body a shell line cannot hold: control bytes).
func CurlCommand(h *proxy.HTTPExchange, body, bodyFile string) (cmd string, vars []string) {
	red := record.NewRedactor(nil)
	seen := map[string]bool{}
	variable := func(name string) string {
		if !seen[name] {
			seen[name] = true
			vars = append(vars, name)
		}
		return "${" + name + "}"
	}
	var b strings.Builder
	b.WriteString("curl -sS -N -X " + h.Method + " " + curlURL(h.URL, red, variable))
	names := make([]string, 0, len(h.RequestHeaders))
	for k := range h.RequestHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if skippedCurlHeaders[k] {
			continue
		}
		for _, v := range h.RequestHeaders[k] {
			b.WriteString(" \\\n  -H ")
			if red.SecretHeader(k) {
				b.WriteString(`"` + dqEscape(k+": ") + secretValue(k, v, variable) + `"`)
				continue
			}
			b.WriteString(singleQuoted(k + ": " + v))
		}
	}
	switch {
	case bodyFile != "":
		b.WriteString(" \\\n  --data-binary @" + singleQuoted(bodyFile))
	case body != "":
		b.WriteString(" \\\n  --data-raw " + singleQuoted(body))
	}
	return b.String(), vars
}

// secretValue is a secret header's value inside double quotes: the
// scheme of an Authorization kept ("Bearer "), the credentials a variable.
func secretValue(name, value string, variable func(string) string) string {
	v := envName(name)
	switch strings.ToLower(name) {
	case "authorization":
		v = "TOKEN"
	case "proxy-authorization":
		v = "PROXY_TOKEN"
	default:
		return variable(v)
	}
	if scheme, _, ok := strings.Cut(value, " "); ok && scheme != "" {
		return dqEscape(scheme+" ") + variable(v)
	}
	return variable(v)
}

// curlURL quotes u, its secret query parameters' values replaced by
// variables.
func curlURL(u string, red *record.Redactor, variable func(string) string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.RawQuery == "" {
		return singleQuoted(u)
	}
	q := parsed.Query()
	secret := false
	for k := range q {
		secret = secret || red.SecretParam(k)
	}
	if !secret {
		return singleQuoted(u)
	}
	parsed.RawQuery = ""
	out := singleQuoted(parsed.String() + "?")
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	first := true
	for _, k := range keys {
		for _, v := range q[k] {
			sep := "&"
			if first {
				sep, first = "", false
			}
			if red.SecretParam(k) {
				out += singleQuoted(sep+url.QueryEscape(k)+"=") + variable(envName(k))
			} else {
				out += singleQuoted(sep + url.QueryEscape(k) + "=" + url.QueryEscape(v))
			}
		}
	}
	return out
}

// envName makes a header or parameter name a shell variable's.
func envName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

// singleQuoted quotes s for a POSIX shell: nothing inside single quotes is
// special; a single quote itself is closed, escaped and reopened.
func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dqEscape escapes s for the inside of double quotes.
func dqEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(s)
}

// shellUnsafe reports whether body holds bytes a command line should not
// (control bytes other than tab, LF and CR; NUL cannot be in an argument).
func shellUnsafe(body string) bool {
	for i := 0; i < len(body); i++ {
		if c := body[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return true
		}
	}
	return false
}

// osc52 is the escape sequence that asks the terminal to put text on the
// clipboard (OSC 52; terminals may ignore it, tmux passes it on with
// set-clipboard on).
func osc52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
}

// maxOSC52 bounds what goes to the clipboard by OSC 52 (terminals cap it;
// the file has it all).
const maxOSC52 = 100 << 10

// copyCurl builds the selected row's exchange as curl, writes it to a
// file, and puts it on the clipboard (see View: the escape goes out with
// the next frames).
func (m *Model) copyCurl() {
	r, ok := m.traffic.selected()
	if !ok {
		m.say("select a row of an HTTP exchange to copy it as curl")
		return
	}
	h := r.obs.HTTP
	if h == nil && r.obs.Exchange != "" {
		h = m.exchangeOf(r.obs.Exchange)
	}
	if h == nil {
		m.say("copy as curl works on HTTP exchanges: this row has none the UI still holds (stdio, or gone from memory)")
		return
	}
	body := m.requestBody(r.obs.Exchange)
	dir := os.TempDir()
	bodyFile := ""
	if shellUnsafe(body) {
		f, err := os.CreateTemp(dir, "mcpscope-body-*.json")
		if err != nil {
			m.say("copy as curl: " + err.Error())
			return
		}
		_, err = f.WriteString(body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			m.say("copy as curl: " + err.Error())
			return
		}
		bodyFile = f.Name()
	}
	cmd, vars := CurlCommand(h, body, bodyFile)
	f, err := os.CreateTemp(dir, "mcpscope-curl-*.sh")
	if err == nil {
		_, err = f.WriteString(cmd + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.say("copy as curl: " + err.Error())
		return
	}
	where := "written to " + f.Name()
	if len(cmd) <= maxOSC52 {
		m.clipboard, m.clipboardUntil = osc52(cmd), time.Now().Add(time.Second)
		where = "copied (OSC 52) and " + where
	}
	note := ""
	if len(vars) > 0 {
		note = "; credentials left out: set " + plural.Count(len(vars), "variable") + " first ($" + strings.Join(vars, ", $") + ")"
	}
	m.say("curl " + where + note)
}

// requestBody is what the client sent in an exchange: its message, or
// its batch, from the rows the UI still holds.
func (m *Model) requestBody(exchange string) string {
	if exchange == "" {
		return ""
	}
	var msgs []string
	batch := false
	for i := m.traffic.ring.first; i < m.traffic.ring.end(); i++ {
		r, _ := m.traffic.ring.at(i)
		if o := r.obs; o.Exchange == exchange && o.Direction == proxy.ClientToServer && o.Type == proxy.TypeMessage {
			if d := o.Decision; d != nil && d.After != "" {
				msgs = append(msgs, d.After) // what went upstream
			} else if d == nil || d.Action != "drop" {
				msgs = append(msgs, o.Body)
			}
			batch = batch || o.Batch > 0
		}
	}
	if batch {
		return "[" + strings.Join(msgs, ",") + "]"
	}
	return strings.Join(msgs, "")
}
