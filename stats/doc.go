// Package stats keeps figures about MCP traffic from a stream of
// observations (proxy.Observation), live (the TUI's stats view) or from a
// recording (mcpscope stats FILE, mcpscope check): per method and per tool,
// the count, errors, latency percentiles, bytes and the calls still
// pending; and the context cost a client pays for tool definitions and
// tool results.
//
// # Keys
//
// A row is named by its key:
//
//	METHOD            every request (or notification) of a method: "tools/call", "initialize"
//	tools/call:NAME   the tools/call requests of one tool (params.name): "tools/call:search"
//
// Key and ParseKey build and split them. Method and tool names are chosen
// by peers, so they are bounded: a name longer than MaxNameBytes is cut
// (and ends in "…"), and past MaxKeys distinct rows new methods fold into
// the row "(other)" and new tools into "tools/call:(other)".
//
// # Use
//
//	t := stats.New(stats.Options{})
//	for each observation o, in order: t.Observe(o)
//	p95, ok := t.Percentile("tools/call:search", 0.95)
//	snap := t.Snapshot(time.Now()) // rows, pending calls, context cost
//
// A Table is not safe for concurrent use: one goroutine observes and asks
// (the TUI's Update, or the reader of a recording). It only reads the
// observations it is given, never holds them, and is off the data path:
// observers never steer it.
package stats
