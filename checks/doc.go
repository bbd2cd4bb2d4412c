// Package checks checks MCP traffic against the specification, live and
// over recordings: it reads observations (proxy.Observation) in the order
// they were published and reports what breaks a rule of the revision the
// session speaks as findings, observations of type finding that cite the
// rule's section of the spec (see Rules for the list).
//
// A Checker is a state machine over one stream of observations. It keeps
// per session only what its rules need (the requests waiting for answers,
// the ids used, the progress tokens, the client's capabilities, the last
// full tools/list), every table bounded in entries, and peer-chosen
// strings longer than maxKeyLen kept as digests, so a hostile peer costs a
// bounded amount. It reads the envelope the proxy already parsed (kind,
// method, id) and decodes a message's body only where a rule needs a field
// inside it (initialize's capabilities, progress notifications, a request
// that names a progress token, a 2026-07-28 result or request), with
// gjson, after a substring test.
//
// Run attaches a Checker to a bus: one subscriber goroutine that publishes
// its findings back on the bus, off the data path (see docs/ARCHITECTURE.md,
// "Protocol checks"). mcpscope check replays a recording through a Checker
// with the recording's own clock.
package checks
