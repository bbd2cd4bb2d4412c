package record

// HAR 1.2 export (http://www.softwareishard.com/blog/har-12-spec/).
//
// The types are written here: the Go HAR packages we looked at are
// unmaintained, read-only (importers for test fixtures) or pull in a
// browser-automation stack, and none has a place for the per-event SSE
// timings this export adds. HAR allows custom fields whose names start with
// an underscore; mcpscope's are documented on the types.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/sse"
)

// HARVersion is the HAR format version written.
const HARVersion = "1.2"

// HAR is an HTTP Archive: the root object of a .har file.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is the archive's log.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Pages   []HARPage  `json:"pages,omitempty"` // one per session
	Entries []HAREntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

// HARCreator names the program that wrote the archive.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HARPage groups entries: mcpscope writes one page per MCP session.
type HARPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     HARPageTimings `json:"pageTimings"`
}

// HARPageTimings are a page's load timings; an MCP session has none (-1).
type HARPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

// HAREntry is one HTTP exchange with the upstream.
type HAREntry struct {
	Pageref         string      `json:"pageref,omitempty"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"` // ms: send + wait + receive
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`

	// mcpscope's fields.
	Session    string             `json:"_session,omitempty"`    // the session the exchange belongs to
	Exchange   string             `json:"_exchange"`             // the exchange's name in the recording
	NewSession string             `json:"_newSession,omitempty"` // the Mcp-Session-Id the upstream issued
	Revision   string             `json:"_revision,omitempty"`   // the protocol revision the request speaks
	Error      string             `json:"_error,omitempty"`      // why the exchange failed, naming the side
	Stream     string             `json:"_stream,omitempty"`     // the SSE stream that answered
	StreamEnd  string             `json:"_streamEnd,omitempty"`  // why it ended
	SSEEvents  []HARSSEEvent      `json:"_sseEvents,omitempty"`  // the stream's events, in order
	Decisions  []HARDecision      `json:"_decisions,omitempty"`  // what the rules did to the exchange's messages
	Findings   []HARFinding       `json:"_findings,omitempty"`   // what the protocol checks found about the exchange (export_findings.go)
	OAuth      []*proxy.OAuthStep `json:"_oauth,omitempty"`      // the OAuth step the exchange was, and what mcpscope rewrote (proxy/oauth.go)
	// The operation the exchange's request belongs to (MRTR rounds, a task
	// and its polling; see proxy.Observation.Operation), its round, and the
	// client's think time before this round (ms).
	Operation string  `json:"_operation,omitempty"`
	Round     int     `json:"_round,omitempty"`
	ThinkTime float64 `json:"_thinkTime,omitempty"`
}

// HARRequest is the request as sent upstream.
type HARRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	QueryString []HARNameValue `json:"queryString"`
	PostData    *HARPostData   `json:"postData,omitempty"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int            `json:"bodySize"`
}

// HARResponse is the upstream's response as forwarded.
type HARResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	Content     HARContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int            `json:"bodySize"`
}

// HARCookie is a cookie (mcpscope writes none: cookies are credentials).
type HARCookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARNameValue is a header or a query parameter.
type HARNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARPostData is a request body.
type HARPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

// HARContent is a response body. A body that is not valid UTF-8 is given
// in base64 (Encoding "base64"), so that it stays byte for byte what was
// forwarded.
type HARContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// HARTimings are the phases of an exchange in ms; -1 means not measured.
// Send is 0 (the proxy holds the whole body before it sends), wait runs
// until the upstream's response headers, receive until the body (or the
// SSE stream) ended.
type HARTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// HARSSEEvent is one block of an SSE response (mcpscope's _sseEvents).
type HARSSEEvent struct {
	Seq    uint64   `json:"seq"`             // the observation's Seq in the recording
	Time   float64  `json:"time"`            // ms since the entry started
	ID     *string  `json:"id,omitempty"`    // the id field, if the block had one
	Event  string   `json:"event,omitempty"` // the event field
	Retry  int64    `json:"retry,omitempty"`
	Size   int      `json:"size"` // bytes on the wire
	Gap    float64  `json:"gap"`  // ms since the stream's previous block
	Data   string   `json:"data"` // the data field (lines joined by LF)
	Method string   `json:"method,omitempty"`
	Flags  []string `json:"flags,omitempty"`  // "comment", "rewritten", "oversized", ...
	Action string   `json:"action,omitempty"` // the rule action that decided the event
	// Dropped marks a block a rule kept from the client (drop, or the event
	// a cut ended the stream at); its bytes are not in content.text.
	Dropped bool `json:"dropped,omitempty"`
}

// HARDecision is what the rules did to one message of the exchange.
type HARDecision struct {
	Seq       uint64   `json:"seq"`
	Direction string   `json:"direction,omitempty"`
	Method    string   `json:"method,omitempty"`
	Rules     []string `json:"rules"`
	Action    string   `json:"action"`
	Note      string   `json:"note,omitempty"`
	Before    string   `json:"before,omitempty"`
	After     string   `json:"after,omitempty"`
}

// WriteHAR writes obs as a HAR 1.2 archive (see Exporter.HAR).
func (e Exporter) WriteHAR(w io.Writer, obs []*Observation) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e.HAR(obs)); err != nil {
		return fmt.Errorf("writing export: %w", err)
	}
	return nil
}

// HAR builds the archive of obs: one entry per HTTP exchange with the
// upstream (in the order they started), one page per session. Exchanges
// the rules answered without the upstream have no HTTP record and are left
// out (log.comment counts them), and so are stdio sessions (no HTTP at
// all; log.comment counts them too); the Markdown transcript shows both.
// Credentials are redacted (see Exporter.Redactor).
func (e Exporter) HAR(obs []*Observation) *HAR {
	version := e.Version
	if version == "" {
		version = "dev"
	}
	h := &HAR{Log: HARLog{Version: HARVersion, Creator: HARCreator{Name: "mcpscope", Version: version}, Entries: []HAREntry{}}}
	type started struct {
		entry HAREntry
		at    time.Time
	}
	var entries []started
	local := 0
	for _, g := range groupExchanges(e.prepare(obs)) {
		if g.http == nil {
			if hasClientMessage(g) {
				local++
			}
			continue
		}
		entry, at := harEntry(g)
		entries = append(entries, started{entry, at})
	}
	// Entries in the order they started (HAR viewers expect it); exchanges
	// are numbered as they arrive, so ties keep that order.
	slices.SortStableFunc(entries, func(a, b started) int { return a.at.Compare(b.at) })
	pages := make(map[string]bool)
	for _, s := range entries {
		entry := s.entry
		if id := entry.Session; id != "" {
			entry.Pageref = id
			if !pages[id] {
				pages[id] = true
				h.Log.Pages = append(h.Log.Pages, HARPage{StartedDateTime: entry.StartedDateTime, ID: id, Title: "MCP session " + id,
					PageTimings: HARPageTimings{OnContentLoad: -1, OnLoad: -1}})
			}
		}
		h.Log.Entries = append(h.Log.Entries, entry)
	}
	var left []string
	if local > 0 {
		left = append(left, fmt.Sprintf("not included (no HTTP record): %s answered by rules without the upstream", plural.Count(local, "exchange")))
	}
	if sessions, messages := StdioTraffic(obs); sessions > 0 {
		left = append(left, fmt.Sprintf("not included: %s (%s), which HAR cannot describe; export them as markdown or jsonl",
			plural.Count(sessions, "stdio session"), plural.Count(messages, "message")))
	}
	h.Log.Comment = strings.Join(left, "; ")
	return h
}

func hasClientMessage(g *exchangeGroup) bool {
	for _, o := range g.obs {
		if o.Direction == proxy.ClientToServer {
			return true
		}
	}
	return false
}

// harEntry builds the entry of one exchange that has an http observation.
func harEntry(g *exchangeGroup) (HAREntry, time.Time) {
	hx := g.http.HTTP
	started := hx.Started
	if started.IsZero() {
		started = g.http.Time.Add(-hx.HeaderLatency)
	}
	e := HAREntry{
		StartedDateTime: harTime(started),
		Session:         g.http.Session,
		Exchange:        g.id,
		NewSession:      hx.NewSession,
		Revision:        hx.Revision,
		Error:           hx.Error,
	}
	e.Request = HARRequest{
		Method: hx.Method, URL: hx.URL, HTTPVersion: "HTTP/1.1",
		Cookies: []HARCookie{}, Headers: harHeaders(hx.RequestHeaders), QueryString: harQuery(hx.URL),
		HeadersSize: -1, BodySize: hx.RequestBody,
	}
	e.Response = HARResponse{
		Status: hx.Status, StatusText: http.StatusText(hx.Status), HTTPVersion: "HTTP/1.1",
		Cookies: []HARCookie{}, Headers: harHeaders(hx.ResponseHeaders),
		HeadersSize: -1, BodySize: -1, RedirectURL: "",
	}
	if hx.Error != "" && hx.Status == 0 {
		e.Response.HTTPVersion = ""
	}
	if loc := firstHeader(hx.ResponseHeaders, "Location"); loc != "" {
		e.Response.RedirectURL = loc
	}

	// Breakpoint outcomes, by the Seq of the message they held.
	resolved := make(map[uint64]*proxy.Decision)
	for _, o := range g.obs {
		if o.Type == proxy.TypeDecision && o.Decision != nil && o.RequestSeq != 0 {
			resolved[o.RequestSeq] = o.Decision
		}
	}
	var reqBodies, respBodies, raws []string
	reqBatch, respBatch := false, false
	end := g.http.Time
	var closed *Observation
	for _, o := range g.obs {
		if f, ok := harFinding(o); ok { // judged later, perhaps: its time is not the exchange's
			e.Findings = append(e.Findings, f)
			continue
		}
		if o.Time.After(end) {
			end = o.Time
		}
		if d := o.Decision; d != nil {
			e.Decisions = append(e.Decisions, HARDecision{Seq: o.Seq, Direction: string(o.Direction), Method: o.Method,
				Rules: slices.Clone(d.Rules), Action: d.Action, Note: d.Note, Before: d.Before, After: d.After})
		}
		if o.Operation != "" && e.Operation == "" && o.Kind == proxy.KindRequest {
			e.Operation, e.Round, e.ThinkTime = o.Operation, o.Round, ms(o.ThinkTime)
		}
		body, dropped := forwarded(o, resolved[o.Seq])
		switch {
		case o.Type == proxy.TypeMessage && o.Direction == proxy.ClientToServer && o.Stream == "":
			if !dropped {
				reqBodies = append(reqBodies, body)
				reqBatch = reqBatch || o.Batch > 0
			}
		case o.Type == proxy.TypeMessage && o.Direction == proxy.ServerToClient && o.Stream == "":
			if !dropped {
				respBodies = append(respBodies, body)
				respBatch = respBatch || o.Batch > 0
			}
		case o.Type == proxy.TypeOAuth && o.OAuth != nil:
			e.OAuth = append(e.OAuth, o.OAuth)
			if o.Body != "" { // a metadata document, as forwarded
				respBodies = append(respBodies, o.Body)
			}
		case o.Type == proxy.TypeStreamOpened:
			e.Stream = o.Stream
		case o.Type == proxy.TypeStreamClosed:
			closed = o
			e.StreamEnd = o.Reason
		case o.Type == proxy.TypeSSEEvent:
			e.Stream = o.Stream
			ev := HARSSEEvent{Seq: o.Seq, Time: ms(o.Time.Sub(started)), Event: o.EventType, Retry: o.Retry,
				Size: o.Size, Gap: ms(o.Gap), Data: sseData(o), Method: o.Method, Flags: o.Flags, Dropped: dropped}
			if o.HasID {
				id := o.EventID
				ev.ID = &id
			}
			if o.Decision != nil {
				ev.Action = o.Decision.Action
			}
			raw := o.Raw
			if body != o.Body && !dropped {
				// Changed at a breakpoint after it was recorded: the proxy
				// re-encoded the event with the new message, as here.
				ev.Data = body
				raw = string(sse.AppendEvent(nil, sse.Event{ID: o.EventID, HasID: o.HasID, Event: o.EventType,
					Data: body, Retry: o.Retry, HasRetry: o.Retry != 0}))
				ev.Size = len(raw)
				ev.Flags = append(slices.Clone(o.Flags), "rewritten")
			}
			e.SSEEvents = append(e.SSEEvents, ev)
			raws = append(raws, raw)
		}
	}
	// A cut ends the stream at the event that triggered it, unforwarded.
	if n := len(e.SSEEvents); closed != nil && strings.HasPrefix(closed.Reason, "cut by rule") && n > 0 && e.SSEEvents[n-1].Action == "cut" {
		e.SSEEvents[n-1].Dropped = true
	}
	if e.Stream != "" && closed == nil {
		e.StreamEnd = "still open when the recording ended"
	}
	var sseText strings.Builder
	sseBytes := 0
	for i, ev := range e.SSEEvents {
		if !ev.Dropped {
			sseText.WriteString(raws[i])
			sseBytes += ev.Size
		}
	}

	if len(reqBodies) > 0 || hx.RequestBody > 0 {
		e.Request.PostData = &HARPostData{MimeType: firstHeader(hx.RequestHeaders, "Content-Type"), Text: joinBodies(reqBodies, reqBatch)}
		if e.Request.PostData.MimeType == "" {
			e.Request.PostData.MimeType = "application/json"
		}
	}
	mimeType := hx.ContentType
	if mimeType == "" {
		mimeType = firstHeader(hx.ResponseHeaders, "Content-Type")
	}
	media, _, _ := mime.ParseMediaType(mimeType)
	c := HARContent{MimeType: mimeType}
	switch {
	case media == "text/event-stream" || e.Stream != "":
		c.Text, c.Size = sseText.String(), len(sseText.String())
		e.Response.BodySize = sseBytes
	case len(respBodies) > 0:
		c.Text = joinBodies(respBodies, respBatch)
		c.Size = len(c.Text)
		e.Response.BodySize = c.Size
	case hx.Error != "":
		c.Comment = "no response from the upstream"
	case hx.Status == http.StatusAccepted || hx.Status == http.StatusNoContent || hx.Method == http.MethodHead:
		e.Response.BodySize = 0
	case firstHeader(hx.ResponseHeaders, "Content-Length") == "0":
		e.Response.BodySize = 0
	default:
		c.Comment = "body forwarded without being recorded (not JSON, or too large to inspect)"
	}
	if !utf8.ValidString(c.Text) {
		c.Text, c.Encoding = base64.StdEncoding.EncodeToString([]byte(c.Text)), "base64"
	}
	e.Response.Content = c

	wait := ms(hx.HeaderLatency)
	receive := 0.0
	if hx.Error == "" {
		receive = math.Max(0, ms(end.Sub(started))-wait)
		receive = math.Round(receive*1000) / 1000
	}
	e.Timings = HARTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Send: 0, Wait: wait, Receive: receive}
	e.Time = math.Round((e.Timings.Send+wait+receive)*1000) / 1000
	return e, started
}

// forwarded returns the message text o's recipient got and whether a rule
// kept it from them, given the outcome of the breakpoint that held it
// (nil if none): a held message is recorded before the user acts.
func forwarded(o *Observation, held *proxy.Decision) (body string, dropped bool) {
	if held != nil {
		switch action := heldAction(held.Note); {
		case action == "resume" && held.After != "":
			return held.After, false
		case action == "drop", action == "error" && held.After == "":
			return o.Body, true
		case action == "error":
			return held.After, false
		}
		return o.Body, false
	}
	if d := o.Decision; d != nil {
		switch d.Action {
		case "drop":
			return o.Body, !strings.HasPrefix(d.Note, "not applied")
		case "block":
			return o.Body, strings.HasSuffix(d.Note, ": dropped")
		}
	}
	return o.Body, false
}

// heldAction returns the action of a breakpoint outcome's note
// ("h-3: resume by ui" → "resume").
func heldAction(note string) string {
	if _, rest, ok := strings.Cut(note, ": "); ok {
		note = rest
	}
	action, _, _ := strings.Cut(note, " by ")
	return action
}

// joinBodies is the body the messages came in: the one message, or a batch.
func joinBodies(bodies []string, batch bool) string {
	if len(bodies) == 1 && !batch {
		return bodies[0]
	}
	return "[" + strings.Join(bodies, ",") + "]"
}

// sseData returns the data field of an SSE block as recorded: the
// dispatched data of every complete block in its bytes, joined by LF.
func sseData(o *Observation) string {
	if o.Raw == "" {
		return ""
	}
	p := sse.Parser{MaxEventSize: -1}
	p.Feed([]byte(o.Raw))
	var data []string
	for {
		b, ok := p.Next()
		if !ok {
			break
		}
		if b.Dispatch {
			data = append(data, string(b.Data))
		}
	}
	if b, ok := p.End(); ok && len(b.Data) > 0 {
		data = append(data, string(b.Data))
	}
	return strings.Join(data, "\n")
}

// harHeaders turns a header map into HAR's list, sorted by name (header
// maps have no order), one entry per value.
func harHeaders(h map[string][]string) []HARNameValue {
	out := []HARNameValue{}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, HARNameValue{Name: k, Value: v})
		}
	}
	return out
}

// harQuery lists the query parameters of a URL, in their order.
func harQuery(raw string) []HARNameValue {
	out := []HARNameValue{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, HARNameValue{Name: k, Value: v})
	}
	return out
}

func firstHeader(h map[string][]string, name string) string {
	if vs := http.Header(h).Values(name); len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range h { // a map built without canonical keys
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// harTime formats a time as HAR wants it (ISO 8601 with milliseconds).
func harTime(t time.Time) string {
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
