package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A workload is one kind of traffic the client sends through a route.
type workload struct {
	name    string
	kind    string // "sat": GET streams as fast as the upstream writes; "post": short POST streams; "paced": one stream at 1,000 events/s
	size    int    // event size in bytes
	streams int    // sat: GET streams at once; post: clients at once
}

var allWorkloads = []workload{
	{"sat-256B-1", "sat", 256, 1},
	{"sat-256B-16", "sat", 256, 16},
	{"sat-16KiB-1", "sat", 16 << 10, 1},
	{"sat-16KiB-16", "sat", 16 << 10, 16},
	{"post", "post", postEventSize, 16},
	{"paced", "paced", 256, 1},
}

// pacedEvery is the paced workload's interval: 1,000 events/s.
const pacedEvery = time.Millisecond

// result is what one run of a workload through a route measured, over
// its timed window (after the warm-up).
type result struct {
	secs    float64         // the window's length
	events  int64           // events the client read whole in the window
	streams int64           // post: streams the client read to their end in the window
	cut     int64           // post: streams that ended short or failed, in the whole run
	cpu     time.Duration   // the route process's user+system CPU in the window
	lat     []time.Duration // per event read in the window: arrival minus the upstream's stamp
}

// window marks the timed part of a run: events count only while open.
type window struct{ phase atomic.Int32 } // 0 warming up, 1 timed, 2 over

func (w *window) open() bool { return w.phase.Load() == 1 }

// run makes one run of wl through the route at base (its MCP endpoint is
// base + "/mcp"), charging the CPU of process pid, and calls during (if
// not nil) once the timed window opens, in its own goroutine.
func run(wl workload, base string, pid int, warm, dur time.Duration, during func()) (result, error) {
	c := newClient()
	defer c.CloseIdleConnections()
	session, err := initialize(c, base)
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var w window
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	merge := func(r result) {
		mu.Lock()
		res.events += r.events
		res.streams += r.streams
		res.cut += r.cut
		res.lat = append(res.lat, r.lat...)
		mu.Unlock()
	}
	switch wl.kind {
	case "sat", "paced":
		query := "?size=" + strconv.Itoa(wl.size)
		if wl.kind == "paced" {
			query += "&every=" + pacedEvery.String()
		}
		for range wl.streams {
			wg.Go(func() {
				r, err := readStream(ctx, c, base+"/mcp"+query, session, &w)
				if err != nil && ctx.Err() == nil {
					fail(err)
				}
				merge(r)
			})
		}
	case "post":
		var ids atomic.Int64
		for range wl.streams {
			wg.Go(func() { merge(callLoop(c, base, session, &w, &ids)) })
		}
	default:
		return result{}, fmt.Errorf("unknown workload kind %q", wl.kind)
	}
	end := sync.OnceFunc(func() { // the load stops: POST loops at their next call, GET streams now
		w.phase.Store(2)
		cancel()
		wg.Wait()
	})
	defer end()
	time.Sleep(warm)
	cpu0, err := processCPU(pid)
	if err != nil {
		return result{}, err
	}
	t0 := time.Now()
	w.phase.Store(1)
	if during != nil {
		go during()
	}
	time.Sleep(dur)
	w.phase.Store(2)
	cpu1, err := processCPU(pid)
	res.secs = time.Since(t0).Seconds()
	if err != nil {
		return result{}, err
	}
	res.cpu = cpu1 - cpu0
	end()
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	if res.events == 0 {
		return res, errors.New("no events arrived in the timed window")
	}
	return res, nil
}

// initialize opens an MCP session through the route and returns its id.
func initialize(c *http.Client, base string) (string, error) {
	body := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"benchproc","version":"1"}}}`
	resp, err := post(c, base, "", body)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || session == "" {
		return "", fmt.Errorf("initialize: status %d, session id %q", resp.StatusCode, session)
	}
	return session, nil
}

func post(c *http.Client, base, session, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	return c.Do(req)
}

// readStream opens a GET stream and reads it until ctx ends, counting the
// events that arrive while w is open and how long each took.
func readStream(ctx context.Context, c *http.Client, url, session string, w *window) (result, error) {
	var r result
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return r, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	resp, err := c.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("GET stream: status %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var sent int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return r, err
		}
		switch {
		case len(line) == 1: // the blank line: the event is whole
			if sent != 0 && w.open() {
				r.events++
				r.lat = append(r.lat, time.Duration(time.Now().UnixNano()-sent))
			}
			sent = 0
		case bytes.HasPrefix(line, []byte("data: ")):
			sent, _ = stampOf(line)
		}
	}
}

// callLoop makes tools/call POSTs one after another until w closes, each
// answered with a short stream read to its end.
func callLoop(c *http.Client, base, session string, w *window, ids *atomic.Int64) result {
	var r result
	buf := make([]byte, 32<<10)
	want := int64(postEvents * postEventSize)
	for w.phase.Load() < 2 {
		id := strconv.FormatInt(ids.Add(1), 10)
		body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"bench","arguments":{},"_meta":{"progressToken":` + id + `}}}`
		resp, err := post(c, base, session, body)
		if err != nil {
			r.cut++
			continue
		}
		var got int64
		for {
			n, err := resp.Body.Read(buf)
			got += int64(n)
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK || got != want:
			r.cut++
		case w.open():
			r.streams++
			r.events += postEvents
		}
	}
	return r
}
