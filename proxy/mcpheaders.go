package proxy

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// Headers that mirror the body (2026-07-28, streamable HTTP § Standard
// Request Headers): a client sends Mcp-Method, Mcp-Name and, for the
// arguments a tool's inputSchema marks with x-mcp-header, Mcp-Param-{Name};
// the server answers 400 (-32020, header mismatch) when they disagree with
// the body. When a rule or a breakpoint edit changed a request's body,
// mirrorHeaders recomputes them from the body that goes upstream.

const (
	headerMcpMethod    = "Mcp-Method"
	headerMcpName      = "Mcp-Name"
	headerMcpVersion   = "Mcp-Protocol-Version"
	headerMcpParam     = "Mcp-Param-"
	metaProtocolPath   = `params._meta.io\.modelcontextprotocol/protocolVersion`
	base64Prefix       = "=?base64?"
	base64Suffix       = "?="
	maxSafeInteger     = 1<<53 - 1
	maxToolHeaderTools = 4096
	// What one tool's bindings may hold, so a hostile tools/list costs a
	// bounded amount: nesting walked, bindings kept, and the bytes of a
	// tool name, a property name or a header name (longer ones are not
	// bound; their headers, if any, are then noted as possibly stale).
	maxBindingDepth = 8
	maxToolBindings = 32
	maxBindingName  = 256
)

// paramBinding is one x-mcp-header annotation: the argument at path (nested
// properties) is mirrored in the header Mcp-Param-{header}.
type paramBinding struct {
	path   []string
	header string
}

// toolHeaders is what the proxy learnt of the tools' x-mcp-header
// bindings from tools/list results on their way to clients, by tool name
// (a tool listed without any has an empty entry: known, none). At most
// maxToolHeaderTools tools are kept; past that an arbitrary one is
// forgotten.
type toolHeaders struct {
	mu    sync.Mutex
	tools map[string][]paramBinding
}

// learn records the bindings of every tool in a tools/list result message.
// text may borrow a read buffer: what is kept is copied.
func (t *toolHeaders) learn(text string) {
	tools := gjson.Get(text, "result.tools")
	if !tools.IsArray() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tools == nil {
		t.tools = make(map[string][]paramBinding)
	}
	tools.ForEach(func(_, tool gjson.Result) bool {
		name := tool.Get("name")
		if name.Type != gjson.String || len(name.Raw) > maxBindingName {
			return true
		}
		bindings := collectBindings(tool.Get("inputSchema.properties"), nil, []paramBinding{})
		if _, known := t.tools[name.String()]; !known && len(t.tools) >= maxToolHeaderTools {
			for k := range t.tools {
				delete(t.tools, k)
				break
			}
		}
		t.tools[strings.Clone(name.String())] = bindings
		return true
	})
}

// collectBindings walks schema properties (nested ones too, as go-sdk and
// SEP-2243 do, to maxBindingDepth) for x-mcp-header annotations, keeping
// at most maxToolBindings.
func collectBindings(props gjson.Result, prefix []string, out []paramBinding) []paramBinding {
	if !props.IsObject() || len(prefix) >= maxBindingDepth {
		return out
	}
	props.ForEach(func(key, prop gjson.Result) bool {
		if len(key.Raw) > maxBindingName {
			return true
		}
		path := append(prefix[:len(prefix):len(prefix)], strings.Clone(key.String()))
		if h := prop.Get(`x-mcp-header`); h.Type == gjson.String && h.String() != "" && len(h.Raw) <= maxBindingName {
			out = append(out, paramBinding{path: path, header: strings.Clone(h.String())})
		}
		out = collectBindings(prop.Get("properties"), path, out)
		return len(out) < maxToolBindings
	})
	return out
}

// bindings returns a tool's bindings and whether its tools/list was seen.
func (t *toolHeaders) bindings(tool string) ([]paramBinding, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.tools[tool]
	return b, ok
}

// mirrorHeaders sets the headers that mirror body, a request's edited
// body, in h, the headers going upstream. It acts only when h carries
// Mcp-Method (a 2026-07-28 client) and body is one message: Mcp-Method,
// Mcp-Name (params.name of tools/call and prompts/get, params.uri of
// resources/read, params.taskId of tasks/get|update|cancel; removed for
// other methods), Mcp-Protocol-Version when the body's _meta names one,
// and, for tools/call of a tool whose tools/list the proxy saw, every
// Mcp-Param-* (set from the arguments, removed when absent or null). The
// Mcp-Param-* headers of a tool it did not see are left as the client sent
// them (staleHeaderNote says so).
func (p *Proxy) mirrorHeaders(h http.Header, body []byte) {
	if h.Get(headerMcpMethod) == "" {
		return
	}
	msg := gjson.ParseBytes(body)
	method := msg.Get("method")
	if !msg.IsObject() || method.Type != gjson.String {
		return
	}
	h.Set(headerMcpMethod, plainValue(method.String()))
	if name, ok := mirroredName(msg, method.String()); ok {
		h.Set(headerMcpName, plainValue(name))
	} else {
		h.Del(headerMcpName)
	}
	if v := msg.Get(metaProtocolPath); v.Type == gjson.String && v.String() != "" {
		h.Set(headerMcpVersion, plainValue(v.String()))
	}
	if method.String() != "tools/call" {
		delParamHeaders(h)
		return
	}
	bindings, known := p.toolHeaders.bindings(msg.Get("params.name").String())
	if !known {
		return
	}
	delParamHeaders(h)
	args := msg.Get("params.arguments")
	for _, b := range bindings {
		v := args
		for _, k := range b.path {
			if v = v.Get(escapeKey(k)); !v.Exists() {
				break
			}
		}
		if text, ok := paramText(v); ok {
			h.Set(headerMcpParam+b.header, headerValue(text))
		}
	}
}

// staleHeaderNote says which mirroring headers of an edited request
// (before → after) mirrorHeaders cannot recompute, or "" when it can
// recompute all: the Mcp-Param-* headers of a tools/call whose tool's
// tools/list the proxy has not seen, when the client sent some or the edit
// changed the tool. ctx carries the client's headers (withMirrorHeaders).
func (p *Proxy) staleHeaderNote(ctx context.Context, before, after string) string {
	h, _ := ctx.Value(mirrorHeadersKey{}).(http.Header)
	if h == nil || gjson.Get(after, "method").String() != "tools/call" {
		return ""
	}
	tool := gjson.Get(after, "params.name").String()
	if _, known := p.toolHeaders.bindings(tool); known {
		return ""
	}
	stale := gjson.Get(before, "params.name").String() != tool
	for k := range h {
		stale = stale || strings.HasPrefix(k, headerMcpParam)
	}
	if !stale {
		return ""
	}
	return "Mcp-Param-* headers forwarded as the client sent them: no tools/list through mcpscope described tool " + strconv.Quote(tool) + ", so they may not match the edited arguments"
}

type mirrorHeadersKey struct{}

// withMirrorHeaders returns ctx carrying the client's request headers h
// when they mirror its body (Mcp-Method is set), for staleHeaderNote.
func withMirrorHeaders(ctx context.Context, h http.Header) context.Context {
	if h.Get(headerMcpMethod) == "" {
		return ctx
	}
	return context.WithValue(ctx, mirrorHeadersKey{}, h)
}

// joinNote appends a sentence to a decision's note.
func joinNote(note, more string) string {
	if note == "" || more == "" {
		return note + more
	}
	return note + "; " + more
}

func mirroredName(msg gjson.Result, method string) (string, bool) {
	var v gjson.Result
	switch method {
	case "tools/call", "prompts/get":
		v = msg.Get("params.name")
	case "resources/read":
		v = msg.Get("params.uri")
	case "tasks/get", "tasks/update", "tasks/cancel":
		v = msg.Get("params.taskId")
	default:
		return "", false
	}
	return v.String(), v.Type == gjson.String
}

func delParamHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, headerMcpParam) {
			delete(h, k)
		}
	}
}
