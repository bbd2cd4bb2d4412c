package control_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEventsAreRedacted: /api/events leaves the process, so a Server
// without a Redactor redacts as recordings do: the Authorization header
// and the query's token of a request through the proxy are not in it.
func TestEventsAreRedacted(t *testing.T) {
	r := start(t)
	req, _ := http.NewRequest("GET", r.api+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	defer func() {
		resp.Body.Close()
		for range lines {
		}
	}()
	get, _ := http.NewRequest("GET", r.proxy+"/mcp?token=SECRET-query", nil)
	get.Header.Set("Authorization", "Bearer SECRET-header")
	stream, err := r.client.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case line := <-lines:
			if strings.Contains(line, "SECRET") {
				t.Fatalf("/api/events carries a credential: %s", line)
			}
			if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"type":"http"`) {
				if !strings.Contains(line, `"Authorization":["[redacted]"]`) || !strings.Contains(line, "token=[redacted]") {
					t.Errorf("the exchange: %s", line)
				}
				return
			}
		case <-timeout:
			t.Fatal("no http observation on /api/events")
		}
	}
}
