package rules

import (
	"bytes"
	"encoding/json"
)

// ErrorAnswer returns the JSON-RPC error message answering the request
// with id (JSON text), for block (and a breakpoint's "error" outcome).
func (r *Rule) ErrorAnswer(id string) string {
	e := DefaultError
	if r.Error != nil {
		e = *r.Error
	}
	b, _ := json.Marshal(e)
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"error":` + string(b) + `}`
}

// MockAnswer returns the answer a mock rule gives the request with id.
func (r *Rule) MockAnswer(id string) string {
	if r.Result == nil {
		return r.ErrorAnswer(id)
	}
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"result":` + string(r.Result) + `}`
}

// InjectedMessage returns the notification an inject rule sends, as a
// complete JSON-RPC message.
func (r *Rule) InjectedMessage() string {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(r.Notification))
	d.UseNumber() // numbers keep their literal (big integers)
	_ = d.Decode(&m)
	m["jsonrpc"] = "2.0"
	delete(m, "id")
	b, _ := json.Marshal(m)
	return string(b)
}
