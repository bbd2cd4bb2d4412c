package bridge

// ResendPath makes the bridge a proxy.ResendHandler (Proxy.StdioResend):
// a message mcpscope re-sends on one of its sessions is POSTed to the
// bridge as a client's would be, so it reaches the session's child once,
// and its answer comes back to that POST (routed by its id, which is
// mcpscope's own), not to the session's client.
func (b *Bridge) ResendPath(session string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.sessions[session]
	return b.path(), ok
}
