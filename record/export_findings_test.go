package record_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// TestExportsCarryFindings: a finding about an exchange's answer is in
// the HAR entry's _findings and in the Markdown transcript's Findings
// section, with its rule and citation.
func TestExportsCarryFindings(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	f := &proxy.Finding{Rule: "result-type-missing", Level: "error", Revision: "2026-07-28", Section: "Base protocol § Result Responses",
		URL: "https://modelcontextprotocol.io/specification/2026-07-28/basic#resulttype", Message: "the result of tools/call has no resultType", About: 3}
	obs := []*proxy.Observation{
		{Seq: 1, Type: proxy.TypeMessage, Time: at, Session: "conn-1", Exchange: "ex-1", Direction: proxy.ClientToServer, Kind: proxy.KindRequest,
			Method: "tools/call", ID: "1", Body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`},
		{Seq: 2, Type: proxy.TypeHTTP, Time: at.Add(time.Millisecond), Session: "conn-1", Exchange: "ex-1",
			HTTP: &proxy.HTTPExchange{Method: "POST", URL: "http://127.0.0.1:1/mcp", Status: 200, ContentType: "application/json", Revision: "2026-07-28"}},
		{Seq: 3, Type: proxy.TypeMessage, Time: at.Add(2 * time.Millisecond), Session: "conn-1", Exchange: "ex-1", Direction: proxy.ServerToClient,
			Kind: proxy.KindResult, Method: "tools/call", ID: "1", RequestSeq: 1, Body: `{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`},
		{Seq: 4, Type: proxy.TypeFinding, Time: at.Add(2 * time.Millisecond), Session: "conn-1", Exchange: "ex-1", Direction: proxy.ServerToClient,
			Method: "tools/call", ID: "1", Flags: []string{proxy.FlagFinding}, Finding: f},
	}
	var har bytes.Buffer
	if err := (record.Exporter{Version: "test"}).WriteHAR(&har, obs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Findings []record.HARFinding `json:"_findings"`
			}
		}
	}
	if err := json.Unmarshal(har.Bytes(), &doc); err != nil || len(doc.Log.Entries) != 1 {
		t.Fatalf("HAR: %v, %s", err, har.String())
	}
	if fs := doc.Log.Entries[0].Findings; len(fs) != 1 || fs[0].Rule != f.Rule || fs[0].About != 3 || fs[0].URL != f.URL || fs[0].Revision != "2026-07-28" {
		t.Errorf("HAR _findings = %+v", fs)
	}
	var md bytes.Buffer
	if err := (record.Exporter{Version: "test"}).WriteMarkdown(&md, obs); err != nil {
		t.Fatal(err)
	}
	text := md.String()
	section, _, _ := strings.Cut(text[strings.Index(text, "## Findings"):], "\n## Session")
	if !strings.Contains(section, "**result-type-missing** error about #3") || !strings.Contains(section, "[Base protocol § Result Responses]("+f.URL+")") {
		t.Errorf("Markdown findings section:\n%s", text)
	}
}
