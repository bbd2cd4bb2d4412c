package store

import (
	"context"
	"sync"
	"time"
)

// LoggedEvent is one event mcpscope forwarded under an id it minted (see
// proxy's resumption): what the client was sent, so a client that resumes
// after it can be sent it again.
type LoggedEvent struct {
	Seq    int64     // the stream's own sequence number, the one in the minted id
	Frame  string    // the event's bytes as forwarded to the client
	Cursor string    // the upstream's last event id once this event was read ("" when it gives none)
	At     time.Time // when it was forwarded
}

// LogLimits bound one stream's replay log: the oldest events are evicted
// past Events events, Bytes bytes of frames, or older than Age. Zero means
// no bound of that kind.
type LogLimits struct {
	Events int
	Bytes  int
	Age    time.Duration
}

// EventLog is the per-stream replay log. Replay is per stream, never per
// session: each log is named by the stream's key alone.
//
// Contract, for every backend: Append adds an event after the stream's
// earlier ones (Seq increasing) and evicts what the limits no longer allow;
// After returns the logged events with Seq > seq, oldest first, and
// complete=true only when the log still holds every event after seq (none
// was evicted between seq and the first returned, and the log is known).
// Errors mean the backend failed (Redis down); the proxy then forwards
// without logging and says so. Safe for concurrent use.
type EventLog interface {
	Append(ctx context.Context, stream string, e LoggedEvent) error
	After(ctx context.Context, stream string, seq int64) (events []LoggedEvent, complete bool, err error)
}

// MemoryLog keeps the replay logs of one instance in memory.
type MemoryLog struct {
	Limits LogLimits

	mu      sync.Mutex
	logs    map[string]*streamLog
	appends int
	now     func() time.Time
}

type streamLog struct {
	events []LoggedEvent
	bytes  int
}

// NewMemoryLog returns an empty in-memory replay log with the limits.
func NewMemoryLog(l LogLimits) *MemoryLog {
	return &MemoryLog{Limits: l, logs: map[string]*streamLog{}, now: time.Now}
}

// sweepEvery is how many appends pass between sweeps for logs whose
// streams went quiet longer ago than the age limit.
const sweepEvery = 1024

func (m *MemoryLog) Append(_ context.Context, stream string, e LoggedEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.At.IsZero() {
		e.At = m.now()
	}
	l := m.logs[stream]
	if l == nil {
		l = &streamLog{}
		m.logs[stream] = l
	}
	l.events = append(l.events, e)
	l.bytes += len(e.Frame)
	m.evict(l)
	if m.appends++; m.appends%sweepEvery == 0 {
		m.sweep()
	}
	return nil
}

// evict drops l's oldest events past the limits. m.mu is held.
func (m *MemoryLog) evict(l *streamLog) {
	lim, cut := m.Limits, 0
	oldest := time.Time{}
	if lim.Age > 0 {
		oldest = m.now().Add(-lim.Age)
	}
	for cut < len(l.events) {
		e := l.events[cut]
		n := len(l.events) - cut
		// Past the count or bytes bound the oldest go, but never the newest
		// (it is what a client resumes right after); past the age, all go.
		over := (n > 1 && ((lim.Events > 0 && n > lim.Events) || (lim.Bytes > 0 && l.bytes > lim.Bytes))) || (lim.Age > 0 && e.At.Before(oldest))
		if !over {
			break
		}
		l.bytes -= len(e.Frame)
		cut++
	}
	if cut > 0 {
		l.events = append(l.events[:0:0], l.events[cut:]...)
	}
}

// sweep forgets the logs with nothing left inside the age limit. m.mu is
// held.
func (m *MemoryLog) sweep() {
	for k, l := range m.logs {
		m.evict(l)
		if len(l.events) == 0 {
			delete(m.logs, k)
		}
	}
}

func (m *MemoryLog) After(_ context.Context, stream string, seq int64) ([]LoggedEvent, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logs[stream]
	if l == nil {
		return nil, false, nil
	}
	m.evict(l)
	return after(l.events, seq)
}

// after returns the events of a log (oldest first) with Seq > seq, and
// whether they are all there is after seq: the log holds seq+1, or nothing
// after seq was ever logged.
func after(events []LoggedEvent, seq int64) ([]LoggedEvent, bool, error) {
	if len(events) == 0 {
		return nil, false, nil
	}
	if events[len(events)-1].Seq <= seq {
		return nil, true, nil // the client has everything logged
	}
	if events[0].Seq > seq+1 {
		return nil, false, nil // what followed seq was evicted, or logged elsewhere
	}
	i := 0
	for i < len(events) && events[i].Seq <= seq {
		i++
	}
	return append([]LoggedEvent(nil), events[i:]...), true, nil
}

// Streams returns how many streams have a log (for tests and display).
func (m *MemoryLog) Streams() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.logs)
}
