package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 streams"}, {1, "1 stream"}, {2, "2 streams"}, {-1, "-1 streams"}} {
		if got := Count(c.n, "stream"); got != c.want {
			t.Errorf("Count(%d, stream) = %q, want %q", c.n, got, c.want)
		}
	}
}
