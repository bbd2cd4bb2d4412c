package proxy

import (
	"encoding/json"
	"reflect"
	"testing"
)

// requestParamsCases are requests whose params the fast path reads, or
// hands to encoding/json: each must come out as parseOp reads it.
var requestParamsCases = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bench","arguments":{},"_meta":{"progressToken":1}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"b":1,"a":[1,2]},"requestState":"s1","inputResponses":{"x":{}}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a b","requestState":null,"inputResponses":null}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":null}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b","_meta":{"progressToken":"t"},"_meta":null}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"a"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","Params":{"name":"a"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{"uri":"u"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\u00e9t\u00e9","arguments":null}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"été"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\"b"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"requestState":{}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"t"},"PROGRESSTOKEN":2}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":[1]}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"progressToken":"p","taskId":"t","other":{"name":1}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","result":{},"params":{"name":"a"}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{ \"name\" : \"a\" , \"arguments\" : { \"k\" : 1 } }}",
}

// TestRequestParamsReadsAsEncodingJSON: the fast path gives what
// encoding/json gives, or leaves the message to it.
func TestRequestParamsReadsAsEncodingJSON(t *testing.T) {
	for _, text := range requestParamsCases {
		checkRequestParams(t, text)
	}
	for _, text := range requestParamsCases[:7] { // plain requests: no encoding/json
		if _, sure := scanParams(text); !sure {
			t.Errorf("the fast path hands %s to encoding/json", text)
		}
	}
}

func FuzzRequestParams(f *testing.F) {
	for _, text := range requestParamsCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !json.Valid([]byte(text)) {
			return // jsonrpc.Read validated every request that comes here
		}
		checkRequestParams(t, text)
	})
}

func checkRequestParams(t *testing.T, text string) {
	t.Helper()
	want, wantOK := parseOp(text)
	got, ok := requestParams(text)
	if ok != wantOK || (ok && !reflect.DeepEqual(got, want.Params)) {
		t.Errorf("requestParams(%s) = %+v, %v; encoding/json reads %+v, %v", text, got, ok, want.Params, wantOK)
	}
}
