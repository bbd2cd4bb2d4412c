package proxy

import (
	"net/http"

	"github.com/mcpscope/mcpscope/internal/hostguard"
)

// checkHostAndOrigin answers 403 and returns false for a request that
// hostguard.Check refuses (a foreign Host or Origin: DNS rebinding, a
// cross-origin request), so it reaches neither the upstream nor the bus.
func (p *Proxy) checkHostAndOrigin(w http.ResponseWriter, r *http.Request) bool {
	if err := hostguard.Check(r, p.AllowedHosts, p.AllowedOrigins); err != nil {
		writeRPCError(w, http.StatusForbidden, "", "mcpscope: "+err.Error())
		return false
	}
	return true
}
