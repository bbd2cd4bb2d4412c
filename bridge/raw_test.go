package bridge

import (
	"encoding/json"
	"strings"
	"testing"
)

// postRaw POSTs body to url in session (if not ""), accepting JSON only,
// and returns the status and body.
func postRaw(t *testing.T, url, session, body string) (int, string) {
	t.Helper()
	status, _, b := postJSON(t, url, session, body)
	return status, b
}

// jsonRPCError reports whether body is a JSON-RPC error whose message
// contains want.
func jsonRPCError(body, want string) bool {
	var m struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	return json.Unmarshal([]byte(body), &m) == nil && m.Error != nil && strings.Contains(m.Error.Message, want)
}
