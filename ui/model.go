// Package ui is mcpscope's terminal interface (Bubble Tea). It reads the
// observation bus through one bridge goroutine that delivers batches, and
// acts on the engine only through its control methods (the Engine
// interface): the UI watches, it never steers the data path by itself.
package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

// Engine is what the UI needs of the proxy; *proxy.Proxy implements it.
type Engine interface {
	Streams() []proxy.StreamInfo
	Sessions() []proxy.SessionInfo
	PauseStream(id, by string) error
	ResumeStream(id, by string) error
	StepStream(id, by string) error
	PauseSession(id, by string) error
	ResumeSession(id, by string) error
	PauseAll(by string)
	ResumeAll(by string)
	Paused() (proxy.Pause, bool)
	Held() []proxy.HeldInfo
	ResumeHeld(id, edited, by string) error
	DropHeld(id, by string) error
	FailHeld(id, by string) error
}

// Info is what the status bar says about the setup.
type Info struct {
	Listen    string // the proxy's address
	Upstream  string // the upstream's URL
	Recording string // the recording file, "" when not recording
	ReadOnly  bool   // a recording (mcpscope open): nothing can be paused
	Source    string // with ReadOnly: the recording shown
	Store     string // where sessions are kept ("memory", "redis://...")
	Insecure  bool   // --insecure: the upstream's certificate is not verified
	Instance  string // this instance's id among those sharing the store ("" alone)
}

// Options configure the model.
type Options struct {
	Info     Info
	MaxRows  int // rows kept in the traffic list (default 10 000)
	MaxBytes int // bytes of rows kept (default 64 MiB)

	// TickInterval is how often the snapshot and rates refresh (default
	// 500 ms); tests set it long to keep frames deterministic.
	TickInterval time.Duration

	// ExportDir is where the export key writes (created 0700 if
	// missing); "" is DefaultExportDir.
	ExportDir string

	// HungAfter is when the stats view calls a pending call hung (0: the
	// stats package's default, 10 s); --hung-after sets it.
	HungAfter time.Duration

	// Theme picks the palette (default ThemeAuto: ask the terminal).
	Theme Theme

	// NoMouse leaves the mouse to the terminal (selecting text to copy)
	// instead of clicks and the wheel acting on the panes (mouse.go).
	NoMouse bool

	// Progress, if not nil, tells what is starting before traffic flows
	// (mcpscope demo: its server, its client): the status bar shows the
	// latest value until the first observation arrives. Run reads it until
	// it is closed or the UI ends.
	Progress <-chan string
}

// actor names the UI as the one who acted, in gate changes.
const actor = "tui"

// focus says which pane the movement keys drive.
type focus int

const (
	focusTraffic focus = iota
	focusSessions
	focusHeld   // only while something is held
	focusDetail // by a click on it: the movement keys scroll it (mouse.go)
)

// Model is the root Bubble Tea model.
type Model struct {
	engine Engine
	info   Info
	keys   *keyMap

	width, height int
	focus         focus
	showHelp      bool // the "?" help is shown in place of the panes
	helpOffset    int  // the help's first line, when it scrolls
	helpScrolls   bool // the help did not fit in columns (as last drawn)
	zoom          zoom // the pane z maximised
	filtering     bool
	filter        textinput.Model
	filterErr     string // why the expression being typed does not parse

	traffic  *trafficList
	sessions sessionsPane
	held     heldPane
	detail   detailPane
	history  history // every observation, for exports
	stats    statsPane

	streams     []proxy.StreamInfo
	globalPause bool
	dropped     int64
	rate        rateMeter // SSE events per second, over the last couple of seconds
	eventsTick  int
	lastTick    time.Time
	notice      string // the outcome of the last act, shown in the status bar
	noticeUntil time.Time
	tickEvery   time.Duration
	exportTo    string // Options.ExportDir

	// clipboard is an OSC 52 sequence (copy as curl) that View writes
	// ahead of its frames until clipboardUntil: Bubble Tea v1 has no
	// clipboard command, and a frame is the one write to the terminal it
	// makes; a second or so of frames makes sure one carries it.
	clipboard      string
	clipboardUntil time.Time

	// progress is what is starting before traffic flows (Options.Progress);
	// the first observation clears it.
	progress string

	noMouse bool // Options.NoMouse: mouse events are not ours
}

// New returns the model. Call Init through tea.NewProgram.
func New(engine Engine, opts Options) *Model {
	honourNoColor()
	applyTheme(opts.Theme)
	if opts.MaxRows <= 0 {
		opts.MaxRows = 10_000
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = 500 * time.Millisecond
	}
	fi := textinput.New()
	fi.Prompt = "/"
	fi.Placeholder = "method:tools/call and not kind:error · tool:search* · status>=400 · a word"
	return &Model{
		engine:    engine,
		info:      opts.Info,
		keys:      newKeyMap(),
		filter:    fi,
		traffic:   newTrafficList(opts.MaxRows, opts.MaxBytes),
		history:   history{maxBytes: opts.MaxBytes / 4},
		width:     80,
		height:    24,
		lastTick:  time.Now(),
		tickEvery: opts.TickInterval,
		exportTo:  opts.ExportDir,
		sessions:  sessionsPane{readOnly: opts.Info.ReadOnly},
		stats:     statsPane{table: stats.New(stats.Options{HungAfter: opts.HungAfter})},
		noMouse:   opts.NoMouse,
	}
}

// observationsMsg carries a batch of observations from the bridge.
type observationsMsg []*proxy.Observation

// tickMsg refreshes the snapshot and the rates.
type tickMsg time.Time

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.tickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init starts the ticker.
func (m *Model) Init() tea.Cmd {
	m.refresh()
	return m.tick()
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case observationsMsg:
		m.observe(msg)
	case progressMsg:
		m.progress = string(msg)
	case tickMsg:
		now := time.Time(msg)
		if d := now.Sub(m.lastTick); d > 0 {
			m.rate.add(m.eventsTick, d)
		}
		m.eventsTick, m.lastTick = 0, now
		m.refresh()
		m.refreshStats(m.width - 2)
		return m, m.tick()
	case tea.KeyMsg:
		return m, m.key(msg)
	case tea.MouseMsg:
		m.mouse(msg)
	case editedMsg:
		m.edited(msg)
	case resendEditedMsg:
		return m, m.resendEdited(msg)
	case resentMsg:
		m.resent(msg)
	}
	return m, nil
}

// observe takes in a batch from the bridge.
func (m *Model) observe(batch []*proxy.Observation) {
	if len(batch) > 0 {
		m.progress = "" // traffic flows: whatever was starting has started
	}
	m.history.add(batch)
	gateChanged := false
	for _, o := range batch {
		switch o.Type {
		case proxy.TypeSSEEvent:
			m.eventsTick++
		case proxy.TypeDropped:
			m.dropped += o.Dropped
		case proxy.TypeGate, proxy.TypeStreamOpened, proxy.TypeStreamClosed, proxy.TypeDecision:
			gateChanged = true
			if g := o.Gate; g != nil && (g.Action == "held" || g.Action == "released") {
				m.traffic.markHeld(o.Stream, g.Action == "held")
			}
		case proxy.TypeRules:
			m.say(o.Reason)
		case proxy.TypeSession:
			gateChanged = true
			if o.EndsSession() {
				m.sessions.noteEnd(o)
			} else if strings.HasPrefix(o.Reason, "re-initialized") { // a lost session lives again
				delete(m.sessions.ended, o.Session)
			}
			switch {
			case o.Has(proxy.FlagInitializeNotKept):
				m.say("session " + shortID(o.Session) + ": its initialize request (" + plural.Count(o.Size, "byte") + ") was too large to keep; it cannot be re-initialized if the upstream loses it")
			case o.Reason != "created" && o.Reason != proxy.SessionlessEnded: // a client connection closing is no news
				m.say("session " + shortID(o.Session) + " " + o.Reason)
			}
		case proxy.TypeNotice:
			m.say(o.Reason)
			if strings.HasPrefix(o.Reason, "recording stopped") && m.info.Recording != "" {
				m.info.Recording += " (STOPPED)"
			}
		}
		if o.Decision != nil && strings.HasPrefix(o.Decision.Note, "held at") {
			gateChanged = true
		}
		m.traffic.add(o)
		m.stats.table.Observe(o)
	}
	if gateChanged {
		m.refresh()
	}
}

// refresh takes a new snapshot of sessions and streams from the engine.
func (m *Model) refresh() {
	m.streams = m.engine.Streams()
	m.sessions.refresh(m.engine.Sessions(), m.streams, time.Now())
	m.held.refresh(m.engine.Held())
	if m.focus == focusHeld && len(m.held.items) == 0 {
		m.focus = focusTraffic
	}
	_, m.globalPause = m.engine.Paused()
}

// say shows the outcome of an act in the status bar for a few seconds.
func (m *Model) say(text string) {
	m.notice, m.noticeUntil = text, time.Now().Add(4*time.Second)
}

// rateMeter is an event rate over the last few ticks: one tick's count
// alone jumps between 0 and twice the rate when events come every few
// hundred milliseconds, as MCP progress notifications do.
type rateMeter struct {
	counts [4]int
	spans  [4]time.Duration
	next   int
}

func (r *rateMeter) add(events int, over time.Duration) {
	r.counts[r.next], r.spans[r.next] = events, over
	r.next = (r.next + 1) % len(r.counts)
}

func (r *rateMeter) perSecond() float64 {
	events, span := 0, time.Duration(0)
	for i := range r.counts {
		events += r.counts[i]
		span += r.spans[i]
	}
	if span <= 0 {
		return 0
	}
	return float64(events) / span.Seconds()
}
