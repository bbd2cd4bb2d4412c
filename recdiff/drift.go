package recdiff

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// Drift is a listing that changed within one session: a later complete
// listing that differs from the session's previous one.
type Drift struct {
	Session string    `json:"session"` // peer text
	List    List      `json:"list"`
	Seq     uint64    `json:"seq"` // the answer (its last page) that listed differently
	Time    time.Time `json:"time"`
	// Announced is whether the server sent the list's list_changed
	// notification (notifications/tools/list_changed...) in the session
	// since the previous listing. A change without it reaches clients
	// that cache the list only by chance.
	Announced bool     `json:"announced"`
	Changes   []Change `json:"changes"` // the first MaxListed
	// CountChanges counts all the changes.
	CountChanges int `json:"count_changes"`
}

// maxDrifts bounds the drifts a summary keeps.
const maxDrifts = 1000

// firstListing is a recording's first complete listing of a kind.
type firstListing struct {
	listing *listing
	session string
	seq     uint64
}

// sessionLists follows one session's listings.
type sessionLists struct {
	last      map[List]*listing // the last complete listing
	building  map[List]*listing // pages so far of a listing in progress
	announced map[List]bool     // list_changed seen since the last listing
}

// listChanged maps the list_changed notifications to their listings.
var listChanged = map[string][]List{
	"notifications/tools/list_changed":     {ListTools},
	"notifications/prompts/list_changed":   {ListPrompts},
	"notifications/resources/list_changed": {ListResources, ListResourceTemplates},
}

func (s *Summary) notification(o *proxy.Observation) {
	if ls, ok := listChanged[o.Method]; ok && o.Direction == proxy.ServerToClient {
		if sl := s.session(o.Session); sl != nil {
			for _, l := range ls {
				sl.announced[l] = true
			}
		}
	}
}

// session returns the listings of a session, nil past maxSessions.
func (s *Summary) session(id string) *sessionLists {
	sl := s.sessions[id]
	if sl == nil {
		if len(s.sessions) >= maxSessions {
			s.note(fmt.Sprintf("listings were followed in the first %d sessions only", maxSessions))
			return nil
		}
		sl = &sessionLists{last: map[List]*listing{}, building: map[List]*listing{}, announced: map[List]bool{}}
		s.sessions[id] = sl
	}
	return sl
}

// listPage takes one page of a listing: a first page starts a listing, a
// page without nextCursor completes it.
func (s *Summary) listPage(o *proxy.Observation, p pendingCall) {
	if o.Kind != proxy.KindResult {
		return
	}
	sl := s.session(p.session)
	if sl == nil {
		return
	}
	env := jsonrpc.Read(o.Body)
	cur := sl.building[p.list]
	if !p.continued || cur == nil {
		cur = &listing{items: map[string]string{}}
	}
	delete(sl.building, p.list)
	next, err := cur.addPage(p.list, []byte(env.Result), &s.lists)
	if err != nil {
		s.note(fmt.Sprintf("a %s listing (seq %d) was not read: %v", p.list, o.Seq, err))
		return
	}
	if next {
		sl.building[p.list] = cur
		return
	}
	cur = s.intern(cur)
	if cur == nil {
		return
	}
	if s.firsts[p.list] == nil {
		s.firsts[p.list] = &firstListing{listing: cur, session: p.session, seq: o.Seq}
	}
	if prev := sl.last[p.list]; prev != nil && prev != cur {
		s.drift(Drift{Session: cut(p.session, maxLabel), List: p.list, Seq: o.Seq, Time: o.Time,
			Announced: sl.announced[p.list], Changes: compareListings(p.list, prev, cur)})
	}
	sl.last[p.list] = cur
	sl.announced[p.list] = false
}

// drift keeps d, its changes cut to MaxListed, up to maxDrifts.
func (s *Summary) drift(d Drift) {
	if len(s.drifts) >= maxDrifts {
		s.note(fmt.Sprintf("only the first %d listings that changed within a session are kept", maxDrifts))
		return
	}
	d.CountChanges = len(d.Changes)
	if len(d.Changes) > MaxListed {
		d.Changes = slices.Clone(d.Changes[:MaxListed])
	}
	s.drifts = append(s.drifts, d)
}

// intern returns the kept listing equal to ls (one copy of each distinct
// listing), or ls kept now; nil when it does not fit the byte budget.
func (s *Summary) intern(ls *listing) *listing {
	keys := make([]string, 0, len(ls.items))
	for k := range ls.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + ls.items[k] + "\x00"))
	}
	d := string(h.Sum(nil))
	if kept := s.interned[d]; kept != nil {
		return kept
	}
	if !s.keep(ls.size) {
		s.note(fmt.Sprintf("past %d MiB kept, later listings were not followed", s.opts.MaxBytes>>20))
		return nil
	}
	ls.digest = d
	s.interned[d] = ls
	return ls
}
