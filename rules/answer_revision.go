package rules

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Answers for 2026-07-28 and later. That revision requires every result to
// say its resultType, the results of the cacheable list and read methods
// to carry ttlMs and cacheScope, and error answers on HTTP to use the
// status their code implies; it also asks implementations not to use the
// legacy server-error codes -32000..-32019. The answers a rule makes for
// such a request (block, mock) follow it; for earlier revisions they are
// what ErrorAnswer and MockAnswer give.

// ModernDefaultError is the error a block answers a 2026-07-28 (or later)
// request with when the rule names none: a code outside JSON-RPC's
// reserved range (-32768..-32000), which holds both the legacy codes that
// revision deprecates and the codes it reserves for the specification, so
// it cannot be mistaken for an error the protocol defines.
var ModernDefaultError = RPCError{Code: -31001, Message: "blocked by mcpscope rule"}

// cacheable lists the methods whose results must carry ttlMs and
// cacheScope on 2026-07-28.
var cacheable = map[string]bool{
	"tools/list": true, "prompts/list": true, "resources/list": true,
	"resources/read": true, "resources/templates/list": true,
}

// errorFor returns the error the rule answers with for a request of a
// modern revision or not.
func (r *Rule) errorFor(modern bool) RPCError {
	switch {
	case r.Error != nil:
		return *r.Error
	case modern:
		return ModernDefaultError
	default:
		return DefaultError
	}
}

// ErrorAnswerFor is ErrorAnswer for a request of a revision that is
// modern (2026-07-28 or later) or not: with no error in the rule, a modern
// request gets ModernDefaultError.
func (r *Rule) ErrorAnswerFor(id string, modern bool) string {
	if !modern {
		return r.ErrorAnswer(id)
	}
	b, _ := json.Marshal(r.errorFor(true))
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"error":` + string(b) + `}`
}

// ErrorStatusFor returns the HTTP status of the rule's error answer: the
// rule's status if it sets one; else, for a modern request, the status
// 2026-07-28 gives the error's code (StatusForCode); else 200.
func (r *Rule) ErrorStatusFor(modern bool) int {
	switch {
	case r.Status != 0:
		return r.Status
	case modern:
		return StatusForCode(r.errorFor(true).Code)
	default:
		return http.StatusOK
	}
}

// StatusForCode is the HTTP status 2026-07-28 gives a JSON-RPC error
// answer with code: 404 for method not found, 400 for invalid params, a
// header mismatch, a missing client capability and an unsupported
// protocol version, 200 for any other.
func StatusForCode(code int) int {
	switch code {
	case -32601:
		return http.StatusNotFound
	case -32602, -32020, -32021, -32022:
		return http.StatusBadRequest
	default:
		return http.StatusOK
	}
}

// MockAnswerFor is MockAnswer for a request of method (or an answer to
// one) on a revision that is modern or not. On a modern one, a result
// object without resultType gets "resultType":"complete", and the result of
// a cacheable method without ttlMs or cacheScope gets "ttlMs":0 and
// "cacheScope":"private" (stale at once, never shared); the rule's own
// bytes are kept, the fields put first. A mock without a result answers
// as block does.
func (r *Rule) MockAnswerFor(id, method string, modern bool) string {
	if !modern {
		return r.MockAnswer(id)
	}
	if r.Result == nil {
		return r.ErrorAnswerFor(id, true)
	}
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"result":` + string(CompleteResult(r.Result, method)) + `}`
}

// CompleteResult returns result (a JSON value) with the fields
// 2026-07-28 requires of a result of method added where absent (see
// MockAnswerFor). A result that is not an object is returned as it is.
func CompleteResult(result []byte, method string) []byte {
	trimmed := bytes.TrimSpace(result)
	var fields map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil {
		return result
	}
	var add []byte
	if _, ok := fields["resultType"]; !ok {
		add = append(add, `"resultType":"complete",`...)
	}
	if cacheable[method] {
		if _, ok := fields["ttlMs"]; !ok {
			add = append(add, `"ttlMs":0,`...)
		}
		if _, ok := fields["cacheScope"]; !ok {
			add = append(add, `"cacheScope":"private",`...)
		}
	}
	if len(add) == 0 {
		return result
	}
	if len(fields) == 0 {
		add = add[:len(add)-1] // no member follows
	}
	out := make([]byte, 0, len(trimmed)+len(add))
	out = append(out, '{')
	out = append(out, add...)
	return append(out, trimmed[1:]...)
}
