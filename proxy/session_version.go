package proxy

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/mcpscope/mcpscope/proxy/store"
)

// The negotiated version. A new session is stored with the version its
// client asked for in initialize; the server may answer with another (an
// older one it supports), and that one is what the session speaks. So the
// answer to the initialize that created a session is read, once, for its
// protocolVersion, which replaces the asked one in the store. Only the
// exchange that created a session pays for it.

// initializeResultVersion returns the protocolVersion of text if it is an
// initialize result ("" otherwise, or when it names none).
func initializeResultVersion(text string) string {
	if !strings.Contains(text, `"protocolVersion"`) {
		return ""
	}
	var msg struct {
		Result *struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
	}
	if json.Unmarshal([]byte(text), &msg) != nil || msg.Result == nil {
		return ""
	}
	return msg.Result.ProtocolVersion
}

// noteNegotiated stores on sess the version the initialize result text
// carries, if it is one and differs from the version asked for. It reports
// whether text was the result (nothing more is to be read then).
func (p *Proxy) noteNegotiated(ctx context.Context, sess *store.Session, text string) bool {
	v := initializeResultVersion(text)
	if v == "" {
		return false
	}
	if v != sess.ProtocolVersion {
		c := *sess
		c.ProtocolVersion = v
		if err := p.sessions().Put(context.WithoutCancel(ctx), &c); err != nil {
			p.logger().Warn("storing a session's negotiated protocol version", "session", sess.ProxyID, "err", err)
		}
		p.gates.sessions.mapped(c.ProxyID, c.UpstreamID, v)
	}
	return true
}
