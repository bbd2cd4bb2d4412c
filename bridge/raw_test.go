package bridge

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// postRaw POSTs body to url in session (if not ""), accepting JSON only,
// and returns the status and body.
func postRaw(t *testing.T, url, session, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if session != "" {
		req.Header.Set(sessionHeader, session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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
