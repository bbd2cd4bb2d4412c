package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestRedactsHeadersByPattern: any header whose name holds auth, token,
// key, secret, cookie, session, password, credential or dpop is redacted,
// not only a fixed list; Mcp-Session-Id and ordinary headers are kept.
func TestRedactsHeadersByPattern(t *testing.T) {
	secret := map[string][]string{
		"Api-Key": {"s1"}, "X-Auth-Token": {"s2"}, "X-Goog-Api-Key": {"s3"}, "X-Client-Secret": {"s4"},
		"X-Session-Token": {"s5"}, "X-Password": {"s6"}, "X-Amz-Credential": {"s7"}, "Proxy-Authorization": {"s8"},
		"authorization": {"s9"}, "Set-Cookie": {"s10"}, "X-Csrf-Token": {"s11"}, "DPoP": {"s12"},
	}
	kept := map[string][]string{"Mcp-Session-Id": {"proxy-session"}, "Accept": {"text/event-stream"}, "Content-Type": {"application/json"}, "Mcp-Protocol-Version": {"2025-11-25"}}
	req := map[string][]string{}
	for k, v := range secret {
		req[k] = v
	}
	for k, v := range kept {
		req[k] = v
	}
	o := &proxy.Observation{Type: proxy.TypeHTTP, HTTP: &proxy.HTTPExchange{URL: "http://u/mcp", RequestHeaders: req}}
	got := NewRedactor(nil).Apply(o).HTTP.RequestHeaders
	for k := range secret {
		if v := got[k]; len(v) != 1 || v[0] != Redacted {
			t.Errorf("%s = %v, want it redacted", k, v)
		}
	}
	for k, v := range kept {
		if g := got[k]; len(g) != 1 || g[0] != v[0] {
			t.Errorf("%s = %v, want %v kept", k, g, v)
		}
	}
	if o.HTTP.RequestHeaders["Api-Key"][0] != "s1" {
		t.Errorf("the shared observation was modified")
	}
}

// TestRedactsQueryParameters: secret query parameter values are redacted
// in the exchange's URL and in URLs quoted in its error, names kept; the
// legacy transport's sessionId is kept, in URLs and in its endpoint event.
func TestRedactsQueryParameters(t *testing.T) {
	url := "http://h/mcp?api_key=K1&token=K2&access_token=K3&key=K4&sessionId=S&page=2&X-Amz-Signature=K5#frag"
	o := &proxy.Observation{Type: proxy.TypeHTTP, HTTP: &proxy.HTTPExchange{URL: url,
		Error: `reading upstream: Post "` + url + `": dial tcp: connection refused`}}
	got := NewRedactor(nil).Apply(o)
	want := "http://h/mcp?api_key=[redacted]&token=[redacted]&access_token=[redacted]&key=[redacted]&sessionId=S&page=2&X-Amz-Signature=[redacted]#frag"
	if got.HTTP.URL != want {
		t.Errorf("URL = %s\nwant  %s", got.HTTP.URL, want)
	}
	if got.HTTP.Error != `reading upstream: Post "`+want+`": dial tcp: connection refused` {
		t.Errorf("error = %s", got.HTTP.Error)
	}
	ev := &proxy.Observation{Type: proxy.TypeSSEEvent, EventType: "endpoint", Raw: "event: endpoint\ndata: /messages?sessionId=S&auth=K6\n\n"}
	if got := NewRedactor(nil).Apply(ev); got.Raw != "event: endpoint\ndata: /messages?sessionId=S&auth=[redacted]\n\n" {
		t.Errorf("endpoint event raw = %q", got.Raw)
	}
	closed := &proxy.Observation{Type: proxy.TypeStreamClosed, Reason: `reading upstream: Get "https://h/sse?token=K7": EOF`}
	if got := NewRedactor(nil).Apply(closed); strings.Contains(got.Reason, "K7") {
		t.Errorf("reason = %q", got.Reason)
	}
}

// TestRedactPathHardCases: --redact-path matches a key written with a
// JSON escape, goes through arrays (an index or *), and a message that is
// not valid JSON has the value of its path's last key redacted anyway.
func TestRedactPathHardCases(t *testing.T) {
	r := NewRedactor([]string{"params.arguments.apiKey", "params.list.0.key", "params.all.*.pin"})
	for _, tc := range []struct{ body, secret, keep string }{
		{`{"method":"m","params":{"arguments":{"api\u004bey":"S1","n":1}}}`, "S1", `"n":1`},
		{`{"method":"m","params":{"list":[{"key":"S2"},{"key":"other"}]}}`, "S2", `"key":"other"`},
		{`{"method":"m","params":{"all":[{"pin":"S3"},{"pin":"S4","x":[1,2]}]}}`, "S4", `"x":[1,2]`},
		{`{"method":"m","params":{"arguments":{"apiKey":"S5"}`, "S5", `"method":"m"`},             // cut short
		{`{"method":"m","params":{"arguments":{"apiKey":"S6",}}}`, "S6", `"method":"m"`},          // a trailing comma
		{`{"method":"m","params":{"arguments":{"apiKey": "S7 never closed`, "S7", `"method":"m"`}, // unclosed string
	} {
		o := &proxy.Observation{Type: proxy.TypeMessage, Body: tc.body}
		got := r.Apply(o).Body
		if strings.Contains(got, tc.secret) || !strings.Contains(got, Redacted) || !strings.Contains(got, tc.keep) {
			t.Errorf("%s\nredacted to %s", tc.body, got)
		}
	}
}

// TestRedactsSecretArguments: members named like a secret are redacted at
// any depth of a message, without --redact-path, case and '_'/'-'
// ignored; progressToken, nextCursor and schemas that merely declare a
// password are kept; every other byte of the message is kept.
func TestRedactsSecretArguments(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":"pt-1"},"name":"login",` +
		`"arguments":{"user":"ann","password":"P1","nested":{"apiKey":"P2","API-KEY":"P3","Client_Secret":"P4"},` +
		`"list":[{"access_token":"P5"},{"refresh_token":12345}],"token":null,"passwd":"P6","private_key":"P7","api_keys":["no"],"apiKey":["P8",{"x":"P10"},"P9"]}}}`
	raw := "data: " + body + "\n\n"
	o := &proxy.Observation{Type: proxy.TypeSSEEvent, Raw: raw, Body: raw[6 : 6+len(body)]}
	got := NewRedactor(nil).Apply(o)
	for _, s := range []string{"P1", "P2", "P3", "P4", "P5", "12345", "P6", "P7", "P8", "P9", "P10"} {
		if strings.Contains(got.Body, s) || strings.Contains(got.Raw, s) {
			t.Errorf("%s is still in %s", s, got.Body)
		}
	}
	want := strings.NewReplacer(`"P1"`, `"[redacted]"`, `"P2"`, `"[redacted]"`, `"P3"`, `"[redacted]"`, `"P4"`, `"[redacted]"`,
		`"P5"`, `"[redacted]"`, `12345`, `"[redacted]"`, `"P6"`, `"[redacted]"`, `"P7"`, `"[redacted]"`, `"P8"`, `"[redacted]"`, `"P9"`, `"[redacted]"`, `"P10"`, `"[redacted]"`).Replace(body)
	if got.Body != want || got.Raw != "data: "+want+"\n\n" {
		t.Errorf("body %s\nwant %s", got.Body, want)
	}
	nested := `{"token":[{"token":["N1"]},"N2"],"x":1}`
	gotNested := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: nested}).Body
	if gotNested != `{"token":[{"token":["[redacted]"]},"[redacted]"],"x":1}` {
		t.Errorf("nested secret arrays: %s", gotNested)
	}
	for _, b := range []string{got.Body, gotNested} {
		if !json.Valid([]byte(b)) {
			t.Errorf("the redacted body is not JSON: %s", b)
		}
	}
	list := `{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"login","inputSchema":{"type":"object","properties":{"password":{"type":"string"},"token":{"type":"string"}}}}],"nextCursor":"c2"}}`
	if got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: list}); got.Body != list {
		t.Errorf("a tool's schema was redacted: %s", got.Body)
	}
	progress := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"pt-1","progress":1}}`
	if got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: progress}); got.Body != progress {
		t.Errorf("a progress notification was redacted: %s", got.Body)
	}
}

// FuzzRedactMessage: any text is redacted without a panic; valid JSON
// stays valid JSON; the string or number value of a secret name never
// survives, at any depth, nor the leaves of an array or object (not a
// schema) under such a name.
func FuzzRedactMessage(f *testing.F) {
	for _, s := range []string{`{"params":{"arguments":{"password":"x"}}}`, `{"a":[{"pin":1},{"b":"\"}"}]}`, `{"api\u004bey":"k"`, `[[[[`, `"unclosed`, `{"password":}`,
		`{"password":"a\"b","list":[1,{"token":2}]}`, `{"token":[["n",[3]],{"apiKey":"k"}]}`, `[{"x":{"Client_Secret":"s"}}]`,
		`{"password":{"type":"string","token":{"v":1}},"properties":{"secret":{"a":"b"}}}`} {
		f.Add(s)
	}
	r := NewRedactor([]string{"a.0.pin", "params.*.password", "x"})
	f.Fuzz(func(t *testing.T, text string) {
		got, _ := r.message(text)
		if json.Valid([]byte(text)) && !json.Valid([]byte(got)) {
			t.Fatalf("%s redacted to invalid JSON %s", text, got)
		}
		in, errIn := decodeNumbers(text)
		out, errOut := decodeNumbers(got)
		if errIn == nil && errOut == nil {
			if where := secretLeft(r.json, in, out, 0, false); where != "" {
				t.Fatalf("%s redacted to %s: %s left", text, got, where)
			}
		}
	})
}

func decodeNumbers(text string) (any, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var v any
	return v, d.Decode(&v)
}

// secretLeft returns where in out a secret of in is left in clear, or "".
// mode says where in is: 0 nowhere secret, named the value of a secret
// name, within a secret container. A value out has redacted whole (a
// path's) is done with.
func secretLeft(j *jsonRedaction, in, out any, mode int, schema bool) string {
	const named, within = 1, 2
	if out == Redacted {
		return ""
	}
	switch v := in.(type) {
	case string, json.Number:
		if mode != 0 && v != "" {
			return fmt.Sprint(v)
		}
	case []any:
		o, ok := out.([]any)
		if !ok || len(o) != len(v) {
			return "an array reshaped"
		}
		if mode != 0 {
			mode = within
		}
		for i := range v {
			if w := secretLeft(j, v[i], o[i], mode, schema); w != "" {
				return fmt.Sprintf("[%d] %s", i, w)
			}
		}
	case map[string]any:
		o, ok := out.(map[string]any)
		if !ok {
			return "an object reshaped"
		}
		if _, typed := v["type"]; mode == named && (typed || schema) {
			mode = 0
		}
		for k, e := range v {
			m := mode
			if m == 0 && j.secretName(k) {
				m = named
			} else if m != 0 {
				m = within
			}
			if w := secretLeft(j, e, o[k], m, schema || k == "properties" || k == "inputSchema" || k == "outputSchema"); w != "" {
				return k + ": " + w
			}
		}
	}
	return ""
}

// TestRedactsNestedSecretArrays: arrays within a secret name's array are
// secret too, at any depth, and so are objects within one.
func TestRedactsNestedSecretArrays(t *testing.T) {
	for body, want := range map[string]string{
		`{"token":[["N1"]]}`:                      `{"token":[["[redacted]"]]}`,
		`{"token":[1,[2,["N3",null]],{"x":"k"}]}`: `{"token":["[redacted]",["[redacted]",["[redacted]",null]],{"x":"[redacted]"}]}`,
		`{"list":[["kept"]],"token":[[]]}`:        `{"list":[["kept"]],"token":[[]]}`,
		`{"token":` + strings.Repeat("[", 100) + `"N4"` + strings.Repeat("]", 100) + `}`:// too deep to follow: the rest whole
		`{"token":` + strings.Repeat("[", maxSecretContainers) + `"[redacted]"` + strings.Repeat("]", maxSecretContainers) + `}`,
	} {
		got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: body}).Body
		if got != want {
			t.Errorf("%s\nredacted to %s\nwant        %s", body, got, want)
		}
	}
}

// TestRedactsUserinfo: the user info of a URL is redacted in its text,
// whether or not the URL parses: a password (the user name kept), a lone
// user name (a token, often); the rest of the URL is kept.
func TestRedactsUserinfo(t *testing.T) {
	r := NewRedactor(nil)
	for in, want := range map[string]string{
		"http://u:hunter2@h/mcp":           "http://u:[redacted]@h/mcp",
		"http://u:hunter2@h:port/mcp":      "http://u:[redacted]@h:port/mcp",
		"https://ghp_abc@github.com/x?y=1": "https://[redacted]@github.com/x?y=1",
		"http://u:p@ss@h/a@b":              "http://u:[redacted]@h/a@b",
		"http://h/path@x?next=1":           "http://h/path@x?next=1",
		"http://u:xxxxx@h/":                "http://u:xxxxx@h/",
		"http://h:80/mcp?token=T#a@b":      "http://h:80/mcp?token=[redacted]#a@b",
		`parse "http://u:pw@h:port/": bad`: `parse "http://u:[redacted]@h:port/": bad`,
	} {
		if got := r.Text(in); got != want {
			t.Errorf("%s\nredacted to %s\nwant        %s", in, got, want)
		}
	}
}

// TestRedactsURLsInHeaders: the URLs in header values (Location,
// Content-Location, Referer, a Link's references, an absolute URL in any
// other) have their secrets redacted like the exchange's URL.
func TestRedactsURLsInHeaders(t *testing.T) {
	resp := map[string][]string{
		"Location":         {"https://h/cb?state=s&access_token=T1"},
		"Content-Location": {"/x?token=T2&page=1"},
		"Link":             {`<https://h/p?api_key=T3>; rel="next", </q?token=T4>; rel="prev"`},
		"Www-Authenticate": {`Bearer resource_metadata="https://h/meta?token=T5"`},
		"X-Plain":          {"/kept?page=2"},
	}
	req := map[string][]string{"Referer": {"http://u:T6@h/"}}
	o := &proxy.Observation{Type: proxy.TypeHTTP, HTTP: &proxy.HTTPExchange{URL: "http://h/mcp", RequestHeaders: req, ResponseHeaders: resp}}
	got := NewRedactor(nil).Apply(o).HTTP
	want := map[string]string{
		"Location":         "https://h/cb?state=s&access_token=[redacted]",
		"Content-Location": "/x?token=[redacted]&page=1",
		"Link":             `<https://h/p?api_key=[redacted]>; rel="next", </q?token=[redacted]>; rel="prev"`,
		"Www-Authenticate": `Bearer resource_metadata="https://h/meta?token=[redacted]"`,
		"X-Plain":          "/kept?page=2",
		"Referer":          "http://u:[redacted]@h/",
	}
	for k, w := range want {
		v := got.ResponseHeaders[k]
		if k == "Referer" {
			v = got.RequestHeaders[k]
		}
		if len(v) != 1 || v[0] != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	if resp["Location"][0] != "https://h/cb?state=s&access_token=T1" {
		t.Errorf("the shared observation was modified")
	}
}

// TestZeroRedactorChangesNothing: a Redactor that is not Active (the
// zero one, --no-redact's for the control API) leaves URLs, errors and
// reasons as they are, as a nil one does, so /api/events and --headless
// agree.
func TestZeroRedactorChangesNothing(t *testing.T) {
	u := "http://u:pw@h/mcp?token=T"
	o := &proxy.Observation{Type: proxy.TypeHTTP, Reason: `Get "` + u + `": EOF`, HTTP: &proxy.HTTPExchange{URL: u, Error: `Post "` + u + `": EOF`}}
	for _, r := range []*Redactor{nil, {}} {
		if got := r.Apply(o); got != o {
			t.Errorf("%#v: Apply changed %+v", r, got.HTTP)
		}
		if got, ok := r.URL(u); ok || got != u {
			t.Errorf("%#v: URL = %s", r, got)
		}
		if got := r.Text(o.Reason); got != o.Reason {
			t.Errorf("%#v: Text = %s", r, got)
		}
	}
}

// TestKeptNamesNormalized: kept names are compared as member names are:
// the Python SDK's session_id is the legacy transport's sessionId.
func TestKeptNamesNormalized(t *testing.T) {
	in := "http://h/messages/?session_id=S1&Session-Id=S2&token=T"
	if got, _ := NewRedactor(nil).URL(in); got != "http://h/messages/?session_id=S1&Session-Id=S2&token=[redacted]" {
		t.Errorf("%s redacted to %s", in, got)
	}
}

// TestLongSecretNames: a member name is bounded by its normalized length,
// not its raw one: api_key spelled with many '_' is still api_key.
func TestLongSecretNames(t *testing.T) {
	body := `{"api` + strings.Repeat("_", 60) + `key":"S1","` + strings.Repeat("x", 100) + `":"kept"}`
	got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: body}).Body
	if strings.Contains(got, "S1") || !strings.Contains(got, "kept") {
		t.Errorf("%s redacted to %s", body, got)
	}
}

// TestURLsInText: URLs in text are found whatever their scheme's case,
// ws and wss too, and in one pass: text dense with "http://" (a hostile
// error message) is redacted in time linear in its length.
func TestURLsInText(t *testing.T) {
	r := NewRedactor(nil)
	for in, want := range map[string]string{
		`Get "HTTPS://h/x?token=T1": EOF`:              `Get "HTTPS://h/x?token=[redacted]": EOF`,
		"dial ws://u:T2@h/ and Wss://h/?key=T3 failed": "dial ws://u:[redacted]@h/ and Wss://h/?key=[redacted] failed",
		"ftp://u:kept@h/ http://h/?page=1":             "ftp://u:kept@h/ http://h/?page=1",
		"a://b http://h/?auth=T4":                      "a://b http://h/?auth=[redacted]",
	} {
		if got := r.Text(in); got != want {
			t.Errorf("%s\nredacted to %s\nwant        %s", in, got, want)
		}
	}
	dense := strings.Repeat("http://h/?page=1 ", 100000) + "https://h/?token=T5"
	start := time.Now()
	got := r.Text(dense)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.HasSuffix(got, " https://h/?token=[redacted]") || len(got) != len(dense)+len("[redacted]")-2 {
		t.Errorf("dense text redacted to ...%s", got[len(got)-60:])
	}
}

// TestRedactsSecretObjects: the string and number leaves of an object
// under a secret name are redacted, at any depth, unless it looks like a
// JSON Schema (a "type" member, or under properties, inputSchema or
// outputSchema), where secret names are still redacted.
func TestRedactsSecretObjects(t *testing.T) {
	for body, want := range map[string]string{
		`{"password":{"value":"V1","n":2,"ok":true,"deep":{"k":["V2",{"type":"V3"}]}}}`: `{"password":{"value":"[redacted]","n":"[redacted]","ok":true,"deep":{"k":["[redacted]",{"type":"[redacted]"}]}}}`,
		`{"token":{"type":"string","default":"d","token":"V4"}}`:                        `{"token":{"type":"string","default":"d","token":"[redacted]"}}`,
		`{"properties":{"token":{"$ref":"#/x"},"secret":{"enum":["a"]}}}`:               `{"properties":{"token":{"$ref":"#/x"},"secret":{"enum":["a"]}}}`,
		`{"inputSchema":{"anyOf":[{"password":{"const":"c"}}]},"password":{"v":"V5"}}`:  `{"inputSchema":{"anyOf":[{"password":{"const":"c"}}]},"password":{"v":"[redacted]"}}`,
		`{"secret":{"a":{"b":"V6"}},"type":"kept"}`:                                     `{"secret":{"a":{"b":"[redacted]"}},"type":"kept"}`,
		`{"secret":{"x":{"type":"V7"}}}`:                                                `{"secret":{"x":{"type":"[redacted]"}}}`,
	} {
		got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: body}).Body
		if got != want {
			t.Errorf("%s\nredacted to %s\nwant        %s", body, got, want)
		}
	}
	deep := `{` + strings.Repeat(`"token":{`, 20000) + `"token":"V8"` + strings.Repeat(`,"type":1}`, 20000) + `}` // "type" last: each object scanned to its end
	start := time.Now()
	got := NewRedactor(nil).Apply(&proxy.Observation{Type: proxy.TypeMessage, Body: deep}).Body
	if d := time.Since(start); strings.Contains(got, "V8") || d > time.Second {
		t.Errorf("schema-like secret objects within one another: %v, secret left %v", d, strings.Contains(got, "V8"))
	}
}
