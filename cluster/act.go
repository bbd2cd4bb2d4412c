package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// Unreached is an instance a request did not reach or that did not answer
// ("redis" when Redis itself did not, "others" when the request was not
// sent: ErrBusy), or whose answer was incomplete.
type Unreached struct {
	Instance string `json:"instance"`
	Error    string `json:"error"`
}

// Outcome is what an act did: the instances that applied it and, for a
// session's, those it may have missed. A non-empty Unreached means the act
// is incomplete, never a silent success.
type Outcome struct {
	Applied   []string    `json:"instances"`
	Unreached []Unreached `json:"unreached,omitempty"`
}

// Ref names a stream across instances: "st-3@A". A stream id alone names
// a stream of the instance asked (ids repeat across instances).
func Ref(stream, instance string) string { return stream + "@" + instance }

// Act pauses, resumes or steps (action) a stream or session (kind
// "streams" or "sessions"), by (who acts) as for proxy.Proxy's methods.
//
// A stream is this instance's when its id is bare or ends in "@" and this
// instance's id; "st-3@A" is asked of instance A alone, and A's answer is
// returned (its errors wrap proxy.ErrUnknownStream, ErrNotPaused,
// ErrStillPaused as local ones do). A session may have streams on several
// instances (its requests go to any of them), so a session's act is
// applied here if this instance knows the session and is also asked of
// every other live instance; it fails with proxy.ErrUnknownSession only
// when every instance answered that it does not know it. It fails with
// ErrUnreachable, ErrBusy or a *NoAnswerError when it reached no instance
// that applied it; when some applied it, those failures are listed in the
// outcome's Unreached instead. Acting on this instance never needs Redis.
func (p *Peers) Act(ctx context.Context, kind, id, action, by string) (Outcome, error) {
	op := kind + "/" + action
	act := p.localAct(op)
	if act == nil {
		return Outcome{}, fmt.Errorf("no action %q on %s", action, kind)
	}
	remoteBy := by + "@" + p.id
	if kind == "streams" {
		stream, instance, qualified := strings.Cut(id, "@")
		if qualified && !validID.MatchString(instance) {
			return Outcome{}, fmt.Errorf("%w: %q: no instance can be named %q", proxy.ErrUnknownStream, id, instance)
		}
		if !qualified || instance == p.id {
			err := act(stream, by)
			if !qualified && errors.Is(err, proxy.ErrUnknownStream) {
				err = fmt.Errorf("%w on instance %s (another instance's stream is named ID@INSTANCE, as GET /api/streams?all=1 lists it)", err, p.id)
			}
			return Outcome{Applied: []string{p.id}}, err
		}
		replies, missing, err := p.ask(ctx, instance, op, stream, remoteBy)
		switch {
		case errors.Is(err, ErrUnknownInstance):
			return Outcome{}, fmt.Errorf("%w: %q: %w", proxy.ErrUnknownStream, id, err)
		case err != nil:
			return Outcome{}, err
		case len(missing) > 0:
			return Outcome{}, &NoAnswerError{Instances: missing, After: p.timeout}
		}
		return Outcome{Applied: []string{instance}}, errorOf(replies[instance])
	}
	var out Outcome
	localErr := act(id, by)
	switch {
	case localErr == nil:
		out.Applied = append(out.Applied, p.id)
	case !errors.Is(localErr, proxy.ErrUnknownSession):
		return out, localErr
	}
	replies, missing, err := p.ask(ctx, "", op, id, remoteBy)
	if err != nil {
		if len(out.Applied) == 0 {
			return out, err
		}
		out.Unreached = append(out.Unreached, Unreached{Instance: unreachedName(err), Error: err.Error()})
		return out, nil
	}
	var failed error
	for _, instance := range sortedKeys(replies) {
		rerr := errorOf(replies[instance])
		switch {
		case rerr == nil:
			out.Applied = append(out.Applied, instance)
		case !errors.Is(rerr, proxy.ErrUnknownSession):
			out.Unreached = append(out.Unreached, Unreached{Instance: instance, Error: rerr.Error()})
			failed = rerr
		}
	}
	for _, instance := range missing {
		out.Unreached = append(out.Unreached, Unreached{Instance: instance, Error: "did not answer within " + p.timeout.String()})
	}
	switch {
	case len(out.Applied) > 0:
		return out, nil
	case len(missing) > 0:
		return out, &NoAnswerError{Instances: missing, After: p.timeout}
	case failed != nil:
		return out, failed
	}
	return out, fmt.Errorf("%w (asked %d other live instances)", localErr, len(replies))
}

// StreamEntry is a stream as listed across instances: Ref is what Act
// takes to reach it from any instance.
type StreamEntry struct {
	Instance string `json:"instance"`
	Ref      string `json:"ref"`
	proxy.StreamInfo
}

// SessionEntry is a session as one instance knows it; a session served by
// several instances is listed once by each.
type SessionEntry struct {
	Instance string `json:"instance"`
	proxy.SessionInfo
}

// Streams lists this instance's streams, or with all every live
// instance's, gathered within the timeout; the instances that did not
// answer (or Redis, if it did not) are in unreached, never waited on
// longer.
func (p *Peers) Streams(ctx context.Context, all bool) (entries []StreamEntry, unreached []Unreached) {
	add := func(instance string, list []proxy.StreamInfo) {
		for _, s := range list {
			entries = append(entries, StreamEntry{Instance: instance, Ref: Ref(s.ID, instance), StreamInfo: s})
		}
	}
	add(p.id, p.local.Streams())
	if all {
		unreached = p.gather(ctx, "list/streams", func(m message) { add(m.From, m.Streams) })
	}
	return entries, unreached
}

// Sessions is Streams for sessions.
func (p *Peers) Sessions(ctx context.Context, all bool) (entries []SessionEntry, unreached []Unreached) {
	add := func(instance string, list []proxy.SessionInfo) {
		for _, s := range list {
			entries = append(entries, SessionEntry{Instance: instance, SessionInfo: s})
		}
	}
	add(p.id, p.local.Sessions())
	if all {
		unreached = p.gather(ctx, "list/sessions", func(m message) { add(m.From, m.Sessions) })
	}
	return entries, unreached
}

// gather asks every other live instance for a listing and hands each
// reply to add, in instance order.
func (p *Peers) gather(ctx context.Context, op string, add func(message)) (unreached []Unreached) {
	replies, missing, err := p.ask(ctx, "", op, "", "")
	if err != nil {
		return []Unreached{{Instance: unreachedName(err), Error: err.Error()}}
	}
	for _, instance := range sortedKeys(replies) {
		m := replies[instance]
		add(m)
		if m.Cut > 0 {
			unreached = append(unreached, Unreached{Instance: instance, Error: fmt.Sprintf("listing cut: its %d oldest entries left out (message limit)", m.Cut)})
		}
	}
	for _, instance := range missing {
		unreached = append(unreached, Unreached{Instance: instance, Error: "did not answer within " + p.timeout.String()})
	}
	return unreached
}

// unreachedName is whom a request that reached nobody names: "redis"
// when Redis did not answer, "others" when it was not sent (ErrBusy).
func unreachedName(err error) string {
	if errors.Is(err, ErrUnreachable) {
		return "redis"
	}
	return "others"
}

func sortedKeys(m map[string]message) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
