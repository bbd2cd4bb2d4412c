package checks

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

// Problem is one thing mcpscope check reports: a finding of the checks, a
// JSON-RPC error, a failed exchange, or a latency past a threshold.
type Problem struct {
	Check    string    `json:"check"` // a rule id, "error", or "max-p95"
	Key      string    `json:"key"`   // what --allow matches too: "error:-32601", "max-p95:tools/call"
	Level    string    `json:"level"` // "error" or "warning"
	Session  string    `json:"session,omitempty"`
	Seq      uint64    `json:"seq,omitempty"` // the observation it is about
	Time     time.Time `json:"time,omitzero"`
	Method   string    `json:"method,omitempty"`
	ID       string    `json:"id,omitempty"`
	Revision string    `json:"revision,omitempty"`
	Section  string    `json:"section,omitempty"`
	URL      string    `json:"url,omitempty"`
	Message  string    `json:"message"`
}

// Problem checks besides the rules.
const (
	CheckError  = "error"   // a JSON-RPC error answer, or an HTTP exchange that failed
	CheckMaxP95 = "max-p95" // a method's or tool's p95 latency above its --max-p95
)

// MaxProblems bounds the problems a Report lists; past it they are
// counted in Omitted.
const MaxProblems = 10000

// Report is what mcpscope check found in a recording.
type Report struct {
	File         string    `json:"file"`
	Observations int       `json:"observations"`
	Sessions     []string  `json:"sessions"` // in order of first appearance
	Problems     []Problem `json:"problems"` // not allowed, in order of the observations
	Omitted      int       `json:"omitted,omitempty"`
	Allowed      int       `json:"allowed"`
	// Thresholds are the --max-p95 limits and what was measured.
	Thresholds []Threshold `json:"thresholds,omitempty"`
}

// Threshold is one --max-p95 limit and the p95 measured for its key.
type Threshold struct {
	Key      string        `json:"key"`
	Limit    time.Duration `json:"limit_ns"`
	P95      time.Duration `json:"p95_ns"`
	Answered bool          `json:"answered"` // the key had answered calls (else P95 is 0 and nothing is judged)
}

// CheckOptions configure CheckRecording.
type CheckOptions struct {
	Options
	// Allow lists checks (a rule id, "error", "max-p95") or keys
	// ("error:-32601", "max-p95:tools/call") not to report.
	Allow []string
	// MaxP95 bounds the p95 latency per stats key ("tools/call",
	// "tools/call:search"), in the order given.
	MaxP95 []Threshold
}

// CheckRecording runs the checks over the observations read gives it (a
// recording, in order), ignoring the findings it may hold already (they
// are made again, so none counts twice), and reports them with the
// JSON-RPC errors, failed exchanges and the latency thresholds broken.
// The recording's own clock is the checks' clock: a request is hung when
// the recording goes on past HungAfter without its answer.
func CheckRecording(file string, read func(each func(*proxy.Observation) error) error, opts CheckOptions) (*Report, error) {
	rep := &Report{File: file, Problems: []Problem{}}
	c := New(opts.Options)
	tab := stats.New(stats.Options{})
	allowed := map[string]bool{}
	for _, a := range opts.Allow {
		allowed[a] = true
	}
	add := func(p Problem) {
		if allowed[p.Check] || allowed[p.Key] {
			rep.Allowed++
			return
		}
		if len(rep.Problems) >= MaxProblems {
			rep.Omitted++
			return
		}
		rep.Problems = append(rep.Problems, p)
	}
	finding := func(f *proxy.Observation) { add(problemOf(f)) }
	seen := map[string]bool{}
	var last, ticked time.Time
	err := read(func(o *proxy.Observation) error {
		if o.Type == proxy.TypeFinding {
			return nil
		}
		rep.Observations++
		if o.Session != "" && !seen[o.Session] && len(seen) < maxSessions {
			seen[o.Session] = true
			rep.Sessions = append(rep.Sessions, strings.Clone(o.Session))
		}
		if o.Time.After(last) {
			last = o.Time
			if last.Sub(ticked) >= tickEvery {
				c.Tick(last, finding)
				ticked = last
			}
		}
		c.Observe(o, finding)
		tab.Observe(o)
		if p, ok := errorOf(o); ok {
			add(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Finish(last, finding)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Seq < rep.Problems[j].Seq }) // hung and late answers are judged after later observations
	for _, th := range opts.MaxP95 {
		p95, ok := tab.Percentile(th.Key, 0.95)
		th.P95, th.Answered = p95, ok
		rep.Thresholds = append(rep.Thresholds, th)
		if ok && p95 > th.Limit {
			add(Problem{Check: CheckMaxP95, Key: CheckMaxP95 + ":" + th.Key, Level: "error", Method: th.Key,
				Message: "p95 latency of " + th.Key + " is " + p95.Round(time.Millisecond).String() + ", above " + th.Limit.String()})
		}
	}
	return rep, nil
}

// problemOf is the problem of a finding observation.
func problemOf(f *proxy.Observation) Problem {
	x := f.Finding
	return Problem{Check: x.Rule, Key: x.Rule, Level: x.Level, Session: f.Session, Seq: x.About, Time: f.Time,
		Method: f.Method, ID: string(f.ID), Revision: x.Revision, Section: x.Section, URL: x.URL, Message: x.Message}
}

// errorOf is the problem an observation is when it is a JSON-RPC error
// or a failed exchange.
func errorOf(o *proxy.Observation) (Problem, bool) {
	switch {
	case o.Kind == proxy.KindError && (o.Type == proxy.TypeMessage || o.Type == proxy.TypeSSEEvent):
		e := gjson.Get(o.Body, "error")
		code := e.Get("code")
		key := CheckError
		if code.Type == gjson.Number {
			key += ":" + strconv.FormatInt(code.Int(), 10)
		}
		what := "error"
		if o.Method != "" {
			what = o.Method + " error"
		}
		return Problem{Check: CheckError, Key: key, Level: "error", Session: o.Session, Seq: o.Seq, Time: o.Time, Method: shown(o.Method), ID: shown(string(o.ID)),
			Message: what + " " + shown(code.Raw) + ": " + shown(e.Get("message").String())}, true
	case o.Type == proxy.TypeHTTP && o.HTTP != nil && o.HTTP.Error != "":
		return Problem{Check: CheckError, Key: CheckError + ":http", Level: "error", Session: o.Session, Seq: o.Seq, Time: o.Time,
			Message: "HTTP " + o.HTTP.Method + " failed: " + shown(o.HTTP.Error)}, true
	}
	return Problem{}, false
}
