package control

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/proxy"
)

// serveClusterAct is serveAct for an instance that shares its store with
// others (Server.Peers set): a stream named "st-3@A" is acted on by
// instance A, a session by every instance that knows it (cluster.Peers.Act).
// The answer names the instances that applied the act and, if any, those
// it did not reach; a failure to reach the carrying instance is 503 (Redis
// unreachable, or too many remote requests) or 504 (it did not answer),
// never a success.
func (s *Server) serveClusterAct(w http.ResponseWriter, r *http.Request, kind, id, action string) {
	out, err := s.Peers.Act(r.Context(), kind, id, action, actor)
	var noAnswer *cluster.NoAnswerError
	switch {
	case errors.Is(err, proxy.ErrUnknownStream), errors.Is(err, proxy.ErrUnknownSession):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, proxy.ErrNotPaused), errors.Is(err, proxy.ErrStillPaused):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, cluster.ErrBusy):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, cluster.ErrUnreachable):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.As(err, &noAnswer):
		writeError(w, http.StatusGatewayTimeout, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		body := map[string]any{"ok": action, kind[:len(kind)-1]: id, "instances": out.Applied}
		if len(out.Unreached) > 0 {
			body["unreached"] = out.Unreached
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// serveClusterList answers GET /api/streams and /api/sessions for an
// instance that shares its store: each entry names its instance (streams
// also their ref, the id that reaches them from any instance). With
// ?all=1 it gathers every live instance's entries within the peers'
// timeout and answers {"instance", "streams"|"sessions", "unreached"}.
func (s *Server) serveClusterList(w http.ResponseWriter, r *http.Request, what string) {
	all, _ := strconv.ParseBool(r.URL.Query().Get("all"))
	var list any
	var unreached []cluster.Unreached
	if what == "streams" {
		entries, missed := s.Peers.Streams(r.Context(), all)
		list, unreached = nonNil(entries), missed
	} else {
		entries, missed := s.Peers.Sessions(r.Context(), all)
		list, unreached = nonNil(entries), missed
	}
	if !all {
		writeJSON(w, http.StatusOK, list)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"instance": s.Peers.ID(), what: list, "unreached": nonNil(unreached)})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
