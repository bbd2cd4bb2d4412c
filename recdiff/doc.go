// Package recdiff compares MCP traffic: two recordings side by side
// (mcpscope diff), and two listings of one kind (Tools, Lists) for a live
// "tool list changed" finding.
//
// A Summary reads a stream of observations (a recording, or a live bus)
// and keeps, within bounds, what a comparison needs: the first complete
// listing of tools, prompts, resources and resource templates; each change
// of a listing within one session (drift); every request with its answer;
// the latency of every answer, per method and per tool. Compare sets two
// summaries side by side.
//
// What counts as "the same" (canonical JSON, see canonical):
//   - Key order and insignificant whitespace never matter, nor how a
//     number is spelled (1, 1.0 and 1e0 are one number).
//   - JSON-RPC ids and the jsonrpc member are never compared: a request
//     is its method and params, an answer its result or error.
//   - Members named "_meta" are dropped at every depth, in requests,
//     answers and listings alike (progress tokens live there).
//   - In answers only, members whose name is one of TimestampKeys
//     (compared case-insensitively) are dropped when their value is a
//     string or a number: they differ between any two runs.
//   - Options.Ignore drops more: paths into the message, such as
//     result.structuredContent.requestId or params.arguments.nonce (see
//     ParsePath for the syntax).
//
// Calls are matched by direction, method and canonical params, in order of
// occurrence: the third tools/call of echo {"text":"hi"} in A meets the
// third one in B. The four list methods are compared as listings instead.
package recdiff
