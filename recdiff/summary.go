package recdiff

import (
	"fmt"
	"slices"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// Options configure what a Summary ignores and how much it keeps.
type Options struct {
	// Ignore are more paths to drop from requests, answers and listings
	// before they are compared (see ParsePath).
	Ignore []Path
	// MaxBytes bounds the bytes of answers and listings kept (0:
	// DefaultMaxBytes). Past it, answers are kept as digests only (still
	// compared, not shown) and listings of new sessions are not followed.
	MaxBytes int
	// MaxCalls bounds the requests kept (0: DefaultMaxCalls); later ones
	// are counted and skipped.
	MaxCalls int
}

const (
	DefaultMaxBytes = 128 << 20
	DefaultMaxCalls = 200_000
	// MaxAnswer bounds the bytes of one answer kept whole; a larger one
	// is kept as a digest.
	MaxAnswer = 256 << 10
	// maxPending bounds the requests awaiting their answer; past it the
	// older half is forgotten.
	maxPending = 1 << 16
	// maxSessions bounds the sessions whose listings are followed.
	maxSessions = 4096
	// maxNotes bounds the distinct notes kept (later ones are counted).
	maxNotes = 20
	// maxLabel bounds a method or a tool name as shown.
	maxLabel = 100
)

// Summary is what a comparison needs of one stream of observations (see
// the package doc). Feed it with Add, in the order observations were
// published; it is not safe for concurrent use.
type Summary struct {
	opts           Options
	params, answer cleaner // for requests; for answers (timestamps too)
	lists          cleaner // for listings (the ignore paths only)
	bytes          int     // kept bytes of answers and listings

	firsts   map[List]*firstListing
	sessions map[string]*sessionLists
	interned map[string]*listing // listings by their canonical digest
	drifts   []Drift

	pending map[uint64]pendingCall
	calls   map[string]*series // by callKey
	order   []string           // call keys, in order of first occurrence
	ncalls  int

	latency *latencies

	notes   []string
	noted   map[string]bool
	dropped int // notes past maxNotes
}

// NewSummary returns an empty summary.
func NewSummary(opts Options) *Summary {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = DefaultMaxCalls
	}
	return &Summary{
		opts:     opts,
		params:   cleaner{ignore: opts.Ignore},
		answer:   cleaner{ignore: opts.Ignore, timestamps: true},
		lists:    cleaner{ignore: opts.Ignore},
		firsts:   map[List]*firstListing{},
		sessions: map[string]*sessionLists{},
		interned: map[string]*listing{},
		pending:  map[uint64]pendingCall{},
		calls:    map[string]*series{},
		latency:  newLatencies(),
		noted:    map[string]bool{},
	}
}

// ReadFile summarizes a recording (or --headless output). Errors name the
// file and, for a bad line, its number.
func ReadFile(path string, opts Options) (*Summary, error) {
	s := NewSummary(opts)
	if err := record.ReadFile(path, func(o *record.Observation) error {
		s.Add(o)
		return nil
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// Add takes one observation into the summary. Only JSON-RPC messages
// count (message observations, and SSE events carrying one message; not
// a breakpoint's decision, which names its message);
// messages flagged invalid_json, partial or oversized (their text is not
// the whole message) or by_mcpscope (sent in the client's place) are
// left out.
func (s *Summary) Add(o *proxy.Observation) {
	if (o.Type != proxy.TypeMessage && o.Type != proxy.TypeSSEEvent) || o.Kind == "" || o.Body == "" || o.Has("invalid_json") || o.Has("partial") || o.Has("oversized") || o.Has("by_mcpscope") {
		return
	}
	switch o.Kind {
	case proxy.KindRequest:
		s.request(o)
	case proxy.KindResult, proxy.KindError:
		if o.Latency > 0 && o.Method != "" {
			s.latency.add(o, s.pending[o.RequestSeq].tool)
		}
		if o.RequestSeq == 0 {
			return
		}
		p, ok := s.pending[o.RequestSeq]
		if !ok {
			return
		}
		delete(s.pending, o.RequestSeq)
		if p.list != "" {
			s.listPage(o, p)
		} else {
			s.answered(o, p)
		}
	case proxy.KindNotification:
		s.notification(o)
	}
}

// request notes a request, for its answer.
func (s *Summary) request(o *proxy.Observation) {
	if len(s.pending) >= maxPending {
		s.forgetOldest()
	}
	env := jsonrpc.Read(o.Body)
	if l, ok := listMethods[o.Method]; ok {
		s.pending[o.Seq] = pendingCall{list: l, session: o.Session, continued: hasCursor(env.Params)}
		return
	}
	s.call(o, env)
}

// forgetOldest forgets the older half of the requests awaiting their
// answer (those most likely never answered): a cost of one pass per
// maxPending/2 requests.
func (s *Summary) forgetOldest() {
	seqs := make([]uint64, 0, len(s.pending))
	for seq := range s.pending {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for _, seq := range seqs[:len(seqs)/2] {
		delete(s.pending, seq)
	}
	s.note(fmt.Sprintf("more than %d requests awaited their answer at once: answers to the oldest were not linked (they count as unanswered)", maxPending))
}

// note keeps a note on what was left out (each distinct note once).
func (s *Summary) note(n string) {
	switch {
	case s.noted[n]:
	case len(s.notes) >= maxNotes:
		s.dropped++
	default:
		s.noted[n] = true
		s.notes = append(s.notes, n)
	}
}

// Notes say what the summary left out or could not read.
func (s *Summary) Notes() []string {
	if s.dropped == 0 {
		return s.notes
	}
	return append(append([]string(nil), s.notes...), fmt.Sprintf("and %d more notes", s.dropped))
}

// keep takes n bytes from the budget, if they fit.
func (s *Summary) keep(n int) bool {
	if s.bytes+n > s.opts.MaxBytes {
		return false
	}
	s.bytes += n
	return true
}
