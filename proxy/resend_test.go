package proxy_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// sentCall returns the observation of the client's tools/call of tool and
// the path its exchange went to upstream.
func sentCall(t *testing.T, hs *harness, tool string) (*proxy.Observation, string) {
	t.Helper()
	reqs := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Kind == proxy.KindRequest && o.Method == "tools/call" && o.Tool == tool && !o.Has(proxy.FlagResent)
	})
	if len(reqs) != 1 {
		t.Fatalf("%d tools/call %s requests observed, want 1", len(reqs), tool)
	}
	ex := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeHTTP && o.Exchange == reqs[0].Exchange })
	if len(ex) != 1 {
		t.Fatalf("no http observation for exchange %s", reqs[0].Exchange)
	}
	u, err := url.Parse(ex[0].HTTP.URL)
	if err != nil {
		t.Fatal(err)
	}
	return reqs[0], u.RequestURI()
}

// A re-sent request reaches the upstream exactly once, with an id of
// mcpscope's, and its answer is linked to the new request, not the
// client's; both carry the mark and the Seq they re-send. Edited, the
// upstream gets the edit. On every Streamable HTTP kind, 2026-07-28
// (sessionless, Mcp-* headers) included.
func TestResendReachesTheUpstreamOnce(t *testing.T) {
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.StatefulJSON, mcpserver.Stateless} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			up := mcptest.StartUpstream(t, kind)
			hs := startProxy(t, up.URL, nil)
			cs, _ := mcptest.Connect(t, t.Context(), kind, hs.URL+kind.Path(), mcptest.ClientOptions{})
			if got := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "first"}}); got != "first" {
				t.Fatalf("echo = %q", got)
			}
			orig, path := sentCall(t, hs, "echo")

			res, err := hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: orig.Body, From: orig.Seq, Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if res.ID != `"mcpscope-resend-1"` || !strings.Contains(res.Answer, `"first"`) || res.Failure != "" {
				t.Fatalf("re-send = %+v, want id \"mcpscope-resend-1\" answered with the text", res)
			}
			if n := up.Methods()["tools/call"]; n != 2 {
				t.Errorf("upstream saw %d tools/call, want 2 (the client's, the re-send)", n)
			}
			if dups := up.Duplicates(); len(dups) > 0 {
				t.Errorf("seen more than once upstream: %v", dups)
			}
			checkResentObserved(t, hs, orig, res.ID)

			edited := strings.Replace(orig.Body, `"first"`, `"edited"`, 1)
			res, err = hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: edited, From: orig.Seq, Path: path})
			if err != nil || !strings.Contains(res.Answer, `"edited"`) {
				t.Fatalf("edited re-send = %+v, %v", res, err)
			}
			var bodies []string
			for _, r := range up.Requests() {
				if strings.Contains(r.Body, "mcpscope-resend-") {
					bodies = append(bodies, r.Body)
				}
			}
			if len(bodies) != 2 || !strings.Contains(bodies[1], `"edited"`) || !strings.Contains(bodies[1], `"mcpscope-resend-2"`) {
				t.Errorf("upstream got the re-sends %q, want the second edited", bodies)
			}
			if n := up.Methods()["tools/call"]; n != 3 {
				t.Errorf("upstream saw %d tools/call, want 3", n)
			}
		})
	}
}

// checkResentObserved checks the observations of a re-send of orig that
// carried id: the request, its exchange and its answer, marked, and the
// answer linked to the new request.
func checkResentObserved(t *testing.T, hs *harness, orig *proxy.Observation, id string) {
	t.Helper()
	reqs := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Kind == proxy.KindRequest && string(o.ID) == id })
	if len(reqs) != 1 || !reqs[0].Has(proxy.FlagResent) || reqs[0].ResentFrom != orig.Seq || reqs[0].Session != orig.Session || reqs[0].Tool != "echo" {
		t.Fatalf("re-sent request observed as %+v; want one, flagged, resent_from %d, in session %s, tool echo", reqs, orig.Seq, orig.Session)
	}
	answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && string(o.ID) == id })
	if len(answers) != 1 {
		t.Fatalf("%d answers observed with id %s, want 1", len(answers), id)
	}
	a := answers[0]
	if a.RequestSeq != reqs[0].Seq || a.Method != "tools/call" || !a.Has(proxy.FlagResent) || a.ResentFrom != orig.Seq || a.Tool != "echo" {
		t.Errorf("answer observed as seq %d → request %d, method %q, flags %v, resent_from %d, tool %q; want linked to %d, flagged, from %d",
			a.Seq, a.RequestSeq, a.Method, a.Flags, a.ResentFrom, a.Tool, reqs[0].Seq, orig.Seq)
	}
	ex := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeHTTP && o.Exchange == reqs[0].Exchange })
	if len(ex) != 1 || !ex[0].Has(proxy.FlagResent) || ex[0].HTTP.Status != 200 {
		t.Errorf("re-sent exchange observed as %+v, want one, flagged, 200", ex)
	}
}

// A notification is re-sent too (202, no answer); what cannot be re-sent
// says why: a server's message, a batch, a legacy HTTP+SSE session.
func TestResendNotificationAndRefusals(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{})
	call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	orig, path := sentCall(t, hs, "echo")
	note := `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nobody"}}`
	res, err := hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: note, Path: path})
	if err != nil || res.Status != 202 || res.ID != "" || res.Failure != "" {
		t.Errorf("re-sent notification = %+v, %v; want 202, no id", res, err)
	}
	if n := up.Methods()["notifications/cancelled"]; n != 1 {
		t.Errorf("upstream saw %d notifications/cancelled, want 1", n)
	}
	for _, body := range []string{`{"jsonrpc":"2.0","id":1,"result":{}}`, `[` + orig.Body + `]`, `not json`} {
		if _, err := hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: body, Path: path}); err == nil {
			t.Errorf("re-sending %s: no error", body)
		}
	}

	legacy := mcptest.StartUpstream(t, mcpserver.LegacySSE)
	lhs := startProxy(t, legacy.URL, nil)
	lcs, _ := mcptest.Connect(t, t.Context(), mcpserver.LegacySSE, lhs.URL+"/sse", mcptest.ClientOptions{})
	call(t, lcs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	lorig, lpath := sentCall(t, lhs, "echo")
	before := legacy.Methods()["tools/call"]
	_, err = lhs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: lorig.Session, Body: lorig.Body, Path: lpath})
	if !errors.Is(err, proxy.ErrResendHTTPOnly) {
		t.Errorf("re-send on a legacy session: %v, want ErrResendHTTPOnly", err)
	}
	if n := legacy.Methods()["tools/call"]; n != before {
		t.Errorf("a refused re-send reached the upstream (%d tools/call, was %d)", n, before)
	}
}

// A re-send that fails shows as a failed exchange, marked, and the result
// says why: the upstream gone (the proxy's 502), and a session the client
// closed (refused before it goes upstream).
func TestResendFailureIsAFailedExchange(t *testing.T) {
	for _, how := range []string{"upstream gone", "session closed"} {
		t.Run(how, func(t *testing.T) {
			up := mcptest.StartUpstream(t, mcpserver.StatefulJSON)
			hs := startProxy(t, up.URL, nil)
			cs, _ := mcptest.Connect(t, t.Context(), mcpserver.StatefulJSON, hs.URL+"/mcp", mcptest.ClientOptions{})
			call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
			orig, path := sentCall(t, hs, "echo")
			if how == "session closed" {
				cs.Close()
			} else {
				up.Close()
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			res, err := hs.Proxy.Resend(ctx, proxy.ResendRequest{Session: orig.Session, Body: orig.Body, From: orig.Seq, Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status < 400 || res.Failure == "" {
				t.Errorf("re-send = %+v, want an HTTP error and its reason", res)
			}
			failed := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
				return o.Type == proxy.TypeHTTP && o.Has(proxy.FlagResent) && o.ResentFrom == orig.Seq && (o.HTTP.Error != "" || o.HTTP.Status >= 400)
			})
			if len(failed) != 1 {
				t.Errorf("%d failed re-sent exchanges observed, want 1", len(failed))
			}
		})
	}
}

// The tool's name is on every message of a tools/call: the request, its
// progress notifications and its answer; tool:NAME keeps all three in the
// view. Rules still match the request alone.
func TestToolNameOnEveryMessageOfACall(t *testing.T) {
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.Stateless} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			up := mcptest.StartUpstream(t, kind)
			hs := startProxy(t, up.URL, nil)
			cs, rec := mcptest.Connect(t, t.Context(), kind, hs.URL+kind.Path(), mcptest.ClientOptions{})
			p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}}
			p.SetProgressToken("tok")
			call(t, cs, p)
			call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
			if _, err := rec.WaitProgress(3, timeout); err != nil {
				t.Fatal(err)
			}
			f := filter.MustParse("tool:progress")
			kept := map[string]int{}
			hs.Seen.Await(t, 6, func(o *proxy.Observation) bool { return o.Tool != "" })
			for _, o := range hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Kind != "" }) {
				s := o.Subject()
				if rs := o.RuleSubject(); f.Match(&rs) != (o.Kind == proxy.KindRequest && o.Tool == "progress") {
					t.Errorf("for rules, tool:progress matches the %s %s: %v; want the request only, as before", o.Kind, o.Method, f.Match(&rs))
				}
				if f.Match(&s) {
					kept[string(o.Kind)+" "+o.Method]++
					if o.Tool != "progress" {
						t.Errorf("tool:progress kept %s %s of tool %q", o.Kind, o.Method, o.Tool)
					}
				}
			}
			want := map[string]int{"request tools/call": 1, "notification notifications/progress": 3, "result tools/call": 1}
			for k, n := range want {
				if kept[k] != n {
					t.Errorf("tool:progress kept %v; want %v", kept, want)
					break
				}
			}
		})
	}
}

// A re-sent call's stream is mcpscope's: its progress notifications are
// marked re-sent (and name the tool), and the session's client, whose
// token the re-send carries, gets none of them.
func TestResentCallsProgressIsMarkedAndNotTheClients(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}}
	p.SetProgressToken("tok")
	call(t, cs, p)
	if _, err := rec.WaitProgress(3, timeout); err != nil {
		t.Fatal(err)
	}
	orig, path := sentCall(t, hs, "progress")
	res, err := hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: orig.Body, From: orig.Seq, Path: path})
	if err != nil || res.Failure != "" || !strings.Contains(res.Answer, "done 3") {
		t.Fatalf("re-send of %s = %+v, %v", orig.Body, res, err)
	}
	marked := hs.Seen.Await(t, 3, func(o *proxy.Observation) bool {
		return o.Method == mcptest.MethodProgress && o.Has(proxy.FlagResent)
	})
	if len(marked) != 3 {
		t.Fatalf("%d progress notifications of the re-send marked, want 3", len(marked))
	}
	for _, o := range marked {
		if o.ResentFrom != orig.Seq || o.Tool != "progress" || strings.Count(strings.Join(o.Flags, ","), proxy.FlagResent) != 1 {
			t.Errorf("progress of the re-send: resent_from %d, tool %q, flags %v", o.ResentFrom, o.Tool, o.Flags)
		}
	}
	ans := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && string(o.ID) == res.ID })
	if len(ans) != 1 || strings.Count(strings.Join(ans[0].Flags, ","), proxy.FlagResent) != 1 {
		t.Errorf("the answer's flags: %v, want resent once", ans)
	}
	if n := len(rec.Events(mcptest.MethodProgress)); n != 3 {
		t.Errorf("the client got %d progress notifications, want its own 3 only", n)
	}
}

// On 2026-07-28 a re-send carries the headers that mirror its body,
// computed from the body as edited: Mcp-Method, Mcp-Name and the tool's
// Mcp-Param-* (the go-sdk server checks them against the body).
func TestResendMirrorsTheEditedBodyInMcpHeaders(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateless)
	headerTools(up)
	hs := startProxy(t, up.URL, nil)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateless, hs.URL+mcpserver.Stateless.Path(), mcptest.ClientOptions{})
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	// The proxy learns the tools' Mcp-Param-* bindings as it describes the
	// listing, which a stream may hand to the bus's worker after the client
	// has it: wait until it is described.
	hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Kind == proxy.KindResult && o.Method == "tools/list" })
	call(t, cs, &mcp.CallToolParams{Name: "region", Arguments: map[string]any{"region": "eu", "count": 1}})
	orig, path := sentCall(t, hs, "region")
	if h := lastCallHeaders(t, up); h["Mcp-Param-Region"] != "eu" {
		t.Fatalf("the client's call carried %v", h)
	}
	edited := strings.Replace(orig.Body, `"eu"`, `"us"`, 1)
	res, err := hs.Proxy.Resend(t.Context(), proxy.ResendRequest{Session: orig.Session, Body: edited, From: orig.Seq, Path: path})
	if err != nil || res.Failure != "" || !strings.Contains(res.Answer, `\"region\":\"us\"`) {
		t.Fatalf("re-send of %s = %+v, %v", orig.Body, res, err)
	}
	h := lastCallHeaders(t, up)
	if h["Mcp-Param-Region"] != "us" || h["Mcp-Method"] != "tools/call" || h["Mcp-Name"] != "region" || h["Mcp-Protocol-Version"] != mcptest.SessionlessVersion {
		t.Errorf("the re-send carried %v; want Mcp-Param-Region us, Mcp-Method tools/call, Mcp-Name region, the revision", h)
	}
}
