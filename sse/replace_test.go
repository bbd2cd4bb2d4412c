package sse

import "testing"

func TestReplaceDataKeepsFraming(t *testing.T) {
	cases := []struct{ raw, data, want string }{
		{"event: message\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n", `{"a":2}`, "event: message\r\nid: 7\r\ndata: {\"a\":2}\r\n\r\n"},
		{": keepalive\rdata:{\"a\":1}\r\r", `x`, ": keepalive\rdata:x\r\r"},
		{"\ndata: 1\nretry: 5\n\n", `2`, "\ndata: 2\nretry: 5\n\n"},
		{"data: 1\ndata: 2\n\n", `3`, ""},
		{"data\ndata: 2\n\n", `3`, ""},
		{"data: 1\n\n", "3\n4", ""},
		{"event: x\n\n", "3", ""},
	}
	for _, c := range cases {
		got, ok := ReplaceData([]byte(c.raw), c.data)
		if ok != (c.want != "") || string(got) != c.want {
			t.Errorf("ReplaceData(%q, %q) = %q, %v; want %q", c.raw, c.data, got, ok, c.want)
		}
	}
}
